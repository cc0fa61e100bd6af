"""Builds every long-lived object once, from Settings: the composition root. The platform's
own services are named here; each domain's come from its declaration (``iris_engine.domains``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from iris_engine.audit import AnchorSigner, AuditTrail
from iris_engine.cases import CaseEngine
from iris_engine.cases.service import CaseService, one_row_detail
from iris_engine.clock import Clock, utcnow
from iris_engine.disclosure import legal_hold
from iris_engine.disclosure.authorities import Authorities
from iris_engine.documents import CodeLibrary
from iris_engine.domain import Domain
from iris_engine.errors import ConfigurationError, WorkflowDefinitionError
from iris_engine.notifications import Notifier
from iris_engine.people import People, password_hasher
from iris_engine.people.directory import StaffDirectory
from iris_engine.people.login import Logins
from iris_engine.people.registration import Registrations
from iris_engine.roster.exports import RosterExports
from iris_engine.roster.service import Roster
from iris_engine.roster.subscriptions import Subscriptions
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.throttle import FailureCounter
from iris_engine.timers import TimerBook
from iris_engine.vault import Vault
from iris_engine.workflow import HookRegistry, Resources, WorkflowCatalog

__all__ = ["Services", "build_hooks", "build_services"]

T = TypeVar("T")


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    db: Database
    catalog: WorkflowCatalog
    codes: CodeLibrary
    engine: CaseEngine
    roster: Roster
    #: the roster's export, built once per version and served from a file
    roster_exports: RosterExports
    people: People
    logins: Logins
    registrations: Registrations
    notifier: Notifier
    subscriptions: Subscriptions
    vault: Vault
    failures: FailureCounter
    authorities: Authorities
    #: verifies the audit trail and takes its anchors
    audit: AuditTrail
    #: who holds an account, and auditors' current assignments
    directory: StaffDirectory
    domains: tuple[Domain, ...]
    #: what the domains provide, by the dependency name their handlers ask for
    provided: dict[str, object] = field(default_factory=dict)
    #: the case service of each workflow, which its generated case endpoints call
    cases: dict[str, CaseService] = field(default_factory=dict)

    def get(self, kind: type[T]) -> T:
        """The one service of type ``kind`` a domain provides."""
        found = [s for s in self.provided.values() if isinstance(s, kind)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} services of type {kind.__name__} are provided")
        return found[0]


def build_hooks(domains: Sequence[Domain]) -> HookRegistry:
    """Every domain's hooks and the platform's (the legal hold) in one registry, with the
    detail loader of each of its workflows."""
    hooks = HookRegistry.merged(legal_hold.hooks, *(domain.hooks for domain in domains))
    for domain in domains:
        for api in domain.cases:
            hooks.detail(api.workflow)(one_row_detail(api.service.detail_model))
    return hooks


def build_services(settings: Settings, *, clock: Clock = utcnow,
                   domains: Sequence[Domain] | None = None) -> Services:
    """Load and check definitions (fail fast on any defect), then wire the services. Every
    part reads the time from ``clock``: tests pass a ManualClock and move it. ``domains``
    defaults to ``iris_engine.domains.DOMAINS`` (a test may add its own)."""
    if domains is None:
        from iris_engine.domains import DOMAINS

        domains = DOMAINS
    catalog = WorkflowCatalog.from_dir(settings.workflows_dir)
    hooks = build_hooks(domains)
    missing = catalog.unresolved_hooks(hooks)
    if missing:
        raise WorkflowDefinitionError(str(settings.workflows_dir), "", "unresolved names: "
                                      + "; ".join(missing))
    codes = CodeLibrary(settings.codes_dir)
    db = Database(settings)
    vault = Vault(settings.data_keys)
    # the sectors any workflow lets a scope name (a setting): the roster refuses a search by another
    roster = Roster(db, ttl=settings.roster_cache_seconds, sectors=frozenset(
        sector for name, version in catalog.versions()
        for sector in catalog.machine(name, version).spec.settings.get("sectors", ())) or None)
    resources = Resources(settings, codes, roster, vault)
    engine = CaseEngine(catalog, hooks, clock=clock, resources=resources, timers=TimerBook(hooks),
                        vault=vault)
    notifier = engine.notifier = Notifier(settings, engine.access, case_paths={
        api.workflow: api.path for domain in domains for api in domain.cases})
    people = People(catalog.roles(), password_hasher(settings.password_hash_profile),
                    on_organisation_added=[d.organisation_added for d in domains
                                           if d.organisation_added is not None],
                    organisation_kinds=[k for d in domains for k in d.organisation_kinds])
    failures = FailureCounter(db, clock)
    services = Services(
        settings=settings, clock=clock, db=db, catalog=catalog, codes=codes, engine=engine,
        roster=roster, notifier=notifier, people=people,
        roster_exports=RosterExports(roster, seconds=settings.roster_export_seconds, clock=clock),
        logins=Logins(db, people, failures, settings),
        registrations=Registrations(db, people, settings, clock),
        subscriptions=Subscriptions(db, settings, clock, vault), vault=vault,
        failures=failures,
        authorities=Authorities(db, vault, settings, clock),
        audit=AuditTrail(db, settings, clock, catalog, domains,
                         AnchorSigner(settings.anchor_signing_key), vault),
        directory=StaffDirectory(db, catalog, engine.access, people.roles, [
            d.current_assignments for d in domains if d.current_assignments is not None]),
        domains=tuple(domains),
    )
    for domain in domains:
        for name, service in domain.provides(services).items():
            if name in services.provided:
                raise ConfigurationError(f"two domains provide a service named {name!r}")
            services.provided[name] = service
    for domain in domains:
        for api in domain.cases:
            services.cases[api.workflow] = services.get(api.service)
    missing_workflows = sorted(set(services.cases) - set(catalog.names()))
    if missing_workflows:
        raise WorkflowDefinitionError(str(settings.workflows_dir), "", "no workflow file for: "
                                      + ", ".join(missing_workflows))
    _check_named_scopes(catalog, hooks, services.cases)
    resources.add(*services.provided.values())
    return services


def _check_named_scopes(catalog: WorkflowCatalog, hooks: HookRegistry,
                        cases: dict[str, CaseService]) -> None:
    """A named scope reads one detail table: a workflow may give it only if that table is its
    own (another's would quietly reach none of its cases)."""
    for workflow, service in cases.items():
        spec = catalog.machine(workflow).spec
        for role, name in spec.access.items():
            scope = hooks.scopes.get(name)
            if scope is not None and scope.table is not service.detail_model:
                raise WorkflowDefinitionError(
                    spec.source, f"access.{role}", f"scope {name!r} reads the table "
                    f"{scope.table.__tablename__}, not this workflow's detail table")

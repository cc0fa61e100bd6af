"""Builds every long-lived object once, from Settings: the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from iris_engine.accreditation import AccreditationService
from iris_engine.cases import HOOKS, CaseEngine
from iris_engine.cases.access import ROLE_SCOPES
from iris_engine.clock import Clock, utcnow
from iris_engine.documents import CodeLibrary
from iris_engine.errors import WorkflowDefinitionError
from iris_engine.grievances import GrievanceService
from iris_engine.notifications import Notifier
from iris_engine.people import People, password_hasher
from iris_engine.referrals import Authorities, ReferralService
from iris_engine.roster.service import Roster
from iris_engine.roster.subscriptions import Subscriptions
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.throttle import FailureCounter
from iris_engine.timers import TimerBook
from iris_engine.vault import Vault
from iris_engine.workflow import WorkflowCatalog

__all__ = ["Services", "build_services"]


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    db: Database
    catalog: WorkflowCatalog
    codes: CodeLibrary
    engine: CaseEngine
    roster: Roster
    people: People
    accreditation: AccreditationService
    notifier: Notifier
    subscriptions: Subscriptions
    vault: Vault
    grievances: GrievanceService
    referrals: ReferralService
    authorities: Authorities


def build_services(settings: Settings, *, clock: Clock = utcnow) -> Services:
    """Load and check definitions (fail fast on any defect), then wire the services. Every
    part reads the time from ``clock``: tests pass a ManualClock and move it."""
    catalog = WorkflowCatalog.from_dir(settings.workflows_dir)
    missing = catalog.unresolved_hooks(HOOKS, roles=ROLE_SCOPES)
    if missing:
        raise WorkflowDefinitionError(str(settings.workflows_dir), "", "unresolved names: "
                                      + "; ".join(missing))
    codes = CodeLibrary(settings.codes_dir)
    db = Database(settings)
    notifier = Notifier(settings)
    engine = CaseEngine(catalog, HOOKS, clock=clock, timers=TimerBook(HOOKS), notifier=notifier)
    vault = Vault(settings.data_keys)
    failures = FailureCounter(db, clock, window_seconds=settings.access_code_lockout_seconds)
    services = Services(
        settings=settings, clock=clock, db=db, catalog=catalog, codes=codes, engine=engine,
        roster=Roster(db, ttl=settings.roster_cache_seconds),
        people=People(password_hasher(settings.password_hash_profile)),
        accreditation=AccreditationService(db, engine, codes), notifier=notifier,
        subscriptions=Subscriptions(db, settings, clock, vault), vault=vault,
        grievances=GrievanceService(db, engine, vault, failures, settings),
        referrals=ReferralService(db, engine, vault),
        authorities=Authorities(db, vault, settings, clock),
    )
    engine.services = services
    return services

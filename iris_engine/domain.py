"""What a domain brings to the platform, declared once (``iris_engine.domains`` lists them).

A domain package (accreditation, grievances, referrals, ...) exports one ``Domain``: its
workflows' case endpoints and detail tables, its named hooks, the services it provides, its
own routes, its sealed columns, the read models it projects from its events and its demo
seeder. The app, the services, key rotation, the workflow checks, the audit verification and
the demo loop over the list; none of them names a domain.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from iris_engine.workflow import HookRegistry

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases import Principal
    from iris_engine.cases.service import CaseService
    from iris_engine.people.directory import CurrentAssignments
    from iris_engine.people.service import OrganisationAdded
    from iris_engine.services import Services
    from iris_engine.store.models import Case, CaseEvent
    from iris_engine.workflow import WorkflowSpec

__all__ = ["CaseApi", "CasePage", "DemoLogin", "DemoSeed", "Domain", "FieldChoices",
           "OrganisationPreparer", "PageArea", "ReadModelReplay", "SealedColumn", "StaffPages",
           "StaffStart"]


@dataclass(frozen=True, slots=True)
class PageArea:
    """Public pages a domain adds to the site (``iris_engine.web.pages``): route handlers
    rendered with ``web.pages.rendering.page``, their templates in ``templates/<name>/``, and
    their messages in the catalogs ``web/locales/<language>/LC_MESSAGES/<name>.po``, taken from
    ``sources`` (template folders and Python modules) by ``iris i18n update``."""

    name: str
    handlers: tuple[Any, ...]
    #: the folder that holds the ``<name>/`` folder of templates
    templates: Path
    sources: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class CasePage:
    """A page of a domain's about one case, linked from the case's generated page while the
    case is in one of ``states`` (all states: empty)."""

    workflow: str
    label: str
    #: the page's path, ``{id}`` standing for the case's id
    path: str
    states: frozenset[str] = frozenset()
    #: linked for these roles only (all: empty); the page itself still checks
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class StaffStart:
    """A new case of a workflow that a role starts from its work list (a button that posts
    to ``/staff/<workflow>/new``): ``open`` opens it with the workflow's ``CaseService`` as the
    signed-in account and answers the staff page to go to next."""

    workflow: str
    role: str
    label: str
    open: Callable[[CaseService, Principal], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class FieldChoices:
    """The options of a transition's data property that names a record (an auditor, an
    authority, one of the case's findings), so that a staff form offers them by name instead
    of asking for a number: ``options(services, principal, case_id)`` answers (value, label)
    pairs. ``property`` is matched at any depth (a row's ``non_conformity_id`` too)."""

    workflow: str
    property: str
    options: Callable[[Services, Principal, int], Awaitable[list[tuple[Any, str]]]]


@dataclass(frozen=True, slots=True)
class StaffPages:
    """Staff pages a domain adds where a generated form is not enough (a self-assessment a
    principle at a time, ...): route handlers under ``/staff`` (the workspace's session,
    CSRF and dependencies: ``workspace``, ``staff``), rendered with ``staff_page`` from
    templates in ``templates``, linked from the case page (``case_pages``) and the work list
    (``starts``)."""

    handlers: tuple[Any, ...] = ()
    #: the folder that holds its templates' folder (None: it has none)
    templates: Path | None = None
    case_pages: tuple[CasePage, ...] = ()
    starts: tuple[StaffStart, ...] = ()
    choices: tuple[FieldChoices, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseApi:
    """A workflow's cases over HTTP: list, get, what may fire, fire, history (``cases.http``).

    ``service`` is the workflow's ``CaseService`` subclass (it names the workflow and its
    detail table; the domain's ``provides`` builds it). ``noun`` and ``plural`` make the
    operation ids (``getApplication``, ``listApplications``, ``fireApplicationTransition``,
    ...); ``view`` is what list, get and fire answer.
    """

    service: type[CaseService]
    path: str
    tag: str
    noun: str
    plural: str
    view: type[Any]
    #: one line on who reaches these cases, for the OpenAPI descriptions
    audience: str = ""
    #: the domain's own handlers under ``path`` (creating a case, messages, ...): mounted
    #: with the generated ones, so their paths are relative to it (a controller's is "/")
    routes: tuple[Any, ...] = ()

    @property
    def workflow(self) -> str:
        return self.service.workflow


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """A column the vault seals, and the place each value is bound to (its row, its purpose)."""

    model: Any
    column: str
    place: Callable[[Any], str]
    #: values stored in clear before this column was sealed get sealed by rotation
    plaintext_ok: bool = False


class ReadModelReplay(Protocol):
    """A read model rebuilt from the audit trail by ``iris audit verify``: it is shown every
    case of its workflows with the case's events (in order, their chain checked apart), then
    compares what they add up to with the table the model is served from.

    A read model is written in the transaction of the event that changes it, so a row that
    differs from its replay was changed behind the engine's back (a status set by hand)."""

    #: what the verifier's report calls it
    name: str
    #: the workflows whose cases it is built from
    workflows: frozenset[str]

    def replay(self, case: Case, events: Sequence[CaseEvent],
               specs: Sequence[WorkflowSpec]) -> None:
        """Take in one case; ``specs[i]`` is the workflow version ``events[i]`` ran on (they
        differ only after an upgrade event, ``iris_engine.cases.upgrade``)."""

    async def differences(self, session: AsyncSession) -> list[str]:
        """Where the table departs from the replay, one sentence each (naming the row)."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """An account the demo made, printed by ``iris serve --demo`` so a newcomer can sign in."""

    role: str
    email: str
    password: str
    note: str = ""
    #: the account's id (what ``auditor_id`` and other data fields that name a user take)
    user_id: int | None = None


#: readies organisations (by id) for what another domain's demo does with them next (``DemoSeed``)
OrganisationPreparer = Callable[["DemoSeed", Sequence[int]], Awaitable[None]]


@dataclass(slots=True)
class DemoSeed:
    """What every demo seeder shares: the services, a seeded random source, the real time and
    the staff accounts made so far (by e-mail), which later seeders may act as."""

    services: Services
    rng: random.Random
    now: datetime
    staff: dict[str, Principal] = field(default_factory=dict)
    #: sizes asked for on the command line (e.g. ``recruiters``); each seeder has its default
    sizes: dict[str, int] = field(default_factory=dict)

    def staff_with(self, role: str) -> list[Principal]:
        return [p for p in self.staff.values() if role in p.roles]

    async def prepare_organisations(self, organisation_ids: Sequence[int]) -> None:
        """Ready (committed) organisations before a seeder acts for them, as every domain's
        demo would have them (``Domain.prepare_demo_organisations``: training certifies one of
        each one's staff, which an accreditation ``submit`` requires). Each domain works in
        transactions of its own: call this outside any, with as many at once as you can."""
        for domain in self.services.domains:
            if domain.prepare_demo_organisations is not None:
                await domain.prepare_demo_organisations(self, organisation_ids)


@dataclass(frozen=True, slots=True)
class Domain:
    name: str
    #: its named guards, effects and anchors (a registry of its own; the engine merges them)
    hooks: HookRegistry
    #: the case endpoints of each of its workflows
    cases: tuple[CaseApi, ...] = ()
    #: builds the services it provides, by the dependency name its handlers ask for
    provides: Callable[[Services], Mapping[str, object]] = lambda _services: {}
    #: its own route handlers elsewhere than under a case path (public filing, statistics)
    routes: tuple[Any, ...] = ()
    #: its public pages, on the site beside the portal and the roster
    pages: tuple[PageArea, ...] = ()
    #: its pages in the staff workspace beyond the generated ones
    staff_pages: StaffPages | None = None
    #: tables it owns that are no workflow's detail (messages, findings, ...)
    tables: tuple[type[Any], ...] = ()
    sealed: tuple[SealedColumn, ...] = ()
    #: read models it projects from its cases' events: each makes a fresh replay, which
    #: ``iris audit verify`` feeds and compares with the model's table
    read_models: tuple[Callable[[], ReadModelReplay], ...] = ()
    #: adds its demo data; answers the accounts it made
    seed_demo: Callable[[DemoSeed], Awaitable[list[DemoLogin]]] | None = None
    #: readies demo organisations before another domain's demo (or ``iris demo prepare``)
    #: acts for them, e.g. certifies one of each one's staff (``DemoSeed.prepare_organisations``);
    #: its own demo data is there by then (the demo runs the domains in order)
    prepare_demo_organisations: OrganisationPreparer | None = None
    #: kinds of organisation it brings beyond the platform's (e.g. an origin-country partner)
    organisation_kinds: tuple[str, ...] = ()
    #: runs in the transaction that adds an organisation (self-registration, the command line)
    organisation_added: OrganisationAdded | None = None
    #: the cases of its workflows assigned to staff in which they still have a part, shown in
    #: the staff directory (``iris_engine.people.directory``)
    current_assignments: CurrentAssignments | None = None

"""Return cases as their users see them: the generated case endpoints' service.

Each reader is shown its own part (``ReturnView``): staff the whole case, the referrer how its
referral is going, the origin-country partner what it needs to receive the survivor. A case
out of a return reader's reach is answered as one that does not exist (404), so a referrer or
a partner cannot learn that another organisation's case is there. The history follows the same
parts: staff read every note and personal data field (each such read recorded); a partner the
events from the sharing on, with its own notes and forms but never a consent's witness or
another's notes; a referrer the events bare.
"""

from __future__ import annotations

import builtins  # ReturnCaseService.list shadows ``list`` in the class body
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.cases import Principal
from iris_engine.cases.engine import TransitionOutcome
from iris_engine.cases.schemas import AvailableTransition, CaseEventView, TransitionRequest
from iris_engine.cases.service import CaseService
from iris_engine.cases.views import available, event_view
from iris_engine.disclosure.reads import record_read
from iris_engine.errors import Forbidden, NotFound
from iris_engine.returns.models import ReturnCase, ReturnService
from iris_engine.returns.plan import services_of
from iris_engine.returns.schemas import Audience, ReturnServiceView, ReturnView
from iris_engine.store.models import Case, CaseEvent, User

__all__ = ["RETURNS_PATH", "STAFF_ROLES", "WORKFLOW", "ReturnCaseService", "audience_of",
           "return_view"]

WORKFLOW = "return"
RETURNS_PATH = "/api/v1/returns"
#: the roles that see a return case whole
STAFF_ROLES = frozenset({"return_officer", "return_supervisor"})
_RETURN_ROLES = STAFF_ROLES | {"partner", "referrer"}


def audience_of(roles: builtins.list[str] | frozenset[str]) -> Audience:
    """The shape a caller reaching a case through ``roles`` is shown: the widest they hold."""
    if STAFF_ROLES & set(roles):
        return "staff"
    return "partner" if "partner" in roles else "referrer"


def return_view(case: Case, r: ReturnCase, audience: Audience = "staff") -> ReturnView:
    view = ReturnView(
        id=case.id or 0, state=case.state, revision=case.revision, reference=r.reference,
        shown_as=audience, enquiry_at=r.enquiry_at, departed_at=r.departed_at,
        arrived_at=r.arrived_at, ended_at=r.ended_at, erased=r.purged_at is not None)
    if audience == "referrer":
        view.nationality, view.return_country = r.nationality, r.return_country
        view.age_group, view.language, view.in_danger = r.age_group, r.language, r.in_danger
        view.nrm_status = r.nrm_status
        view.referrer_organisation_id = r.referrer_organisation_id
        return view
    view.nationality, view.return_country = r.nationality, r.return_country
    view.age_group, view.language, view.in_danger = r.age_group, r.language, r.in_danger
    view.partner_organisation_id, view.risk_outcome = r.partner_organisation_id, r.risk_outcome
    view.scheduled_departure_at = r.scheduled_departure_at
    view.scheduled_arrival_at = r.scheduled_arrival_at
    if audience == "partner":
        return view
    view.nrm_status, view.assignee_id = r.nrm_status, case.assignee_id
    view.referrer_organisation_id, view.source_case_id = r.referrer_organisation_id, r.source_case_id
    view.escalations, view.legal_hold = r.escalations, r.legal_hold
    return view


class ReturnCaseService(CaseService):
    workflow = WORKFLOW
    detail_model = ReturnCase
    no_access = ("return cases are for return officers and supervisors, the organisation that "
                 "referred them and the partner they are shared with")
    search_columns = ("reference",)

    async def reach(self, session: AsyncSession, principal: Principal,
                    case_id: int) -> tuple[Case, builtins.list[str]]:
        """The case and the caller's roles reaching it; a case out of a return reader's reach
        is not found (as one that does not exist), a caller without a return role forbidden."""
        if not self.engine.access.reaches_workflow(principal, WORKFLOW):
            raise Forbidden(self.no_access)
        try:
            return await self.engine.reach(session, case_id, principal, WORKFLOW)
        except Forbidden:
            raise NotFound(f"no return case {case_id}") from None

    async def view(self, session: AsyncSession, case: Case, detail: ReturnCase | None, *,
                   full: bool, audience: Audience = "staff") -> ReturnView:
        detail = detail or await session.get(ReturnCase, case.id)
        assert detail is not None
        view = return_view(case, detail, audience)
        if full and audience != "referrer":
            view.services = [_service_view(s) for s in await services_of(session, detail.case_id)]
        return view

    async def _audience(self, session: AsyncSession, principal: Principal,
                        case: Case) -> Audience:
        relevant = [r for r in principal.roles if r in _RETURN_ROLES]
        if len(relevant) <= 1:
            return audience_of(relevant)
        return audience_of(await self.engine.access.roles_in_scope(session, principal, case))

    async def list(self, principal: Principal, *, state: str | None, after: int,
                   limit: int, where: Sequence[ColumnElement[bool]] = ()) -> builtins.list[Any]:
        async with self.db.read() as session:
            rows = await self.visible_cases(session, principal, state=state, after=after,
                                            limit=limit, join=ReturnCase, where=where)
            return [return_view(case, detail, await self._audience(session, principal, case))
                    for case, detail in rows]

    async def get(self, principal: Principal, case_id: int) -> Any:
        async with self.db.read() as session:
            case, roles = await self.reach(session, principal, case_id)
            return await self.view(session, case, None, full=True, audience=audience_of(roles))

    async def fire(self, principal: Principal, case_id: int, request: TransitionRequest) -> Any:
        async with self.db.write() as session:
            await self.reach(session, principal, case_id)
            outcome: TransitionOutcome = await self._fire(session, principal, case_id, request)
            roles = await self.engine.access.roles_in_scope(session, principal, outcome.case)
            # an act that ends the caller's own reach shows it the least
            return await self.view(session, outcome.case, outcome.detail, full=False,
                                   audience=audience_of(roles) if roles else "referrer")

    async def available(self, principal: Principal,
                        case_id: int) -> builtins.list[AvailableTransition]:
        async with self.db.read() as session:
            case, _ = await self.reach(session, principal, case_id)
            return await available(self.engine, session, case, principal)

    async def history(self, principal: Principal, case_id: int) -> builtins.list[CaseEventView]:
        """The audit trail as the caller's part allows; every personal note or personal data
        field opened is recorded (who, role, basis, which events) before it is opened."""
        async with self.db.write() as session:
            case, roles = await self.reach(session, principal, case_id)
            audience = audience_of(roles)
            role = next((r for r in roles if r in STAFF_ROLES), roles[0])
            events = await self.engine.history(session, case)
            if audience == "referrer":
                return [_bare(e) for e in events]
            if audience == "partner":
                role = "partner"
                events = _since_shared(events, principal.organisation_id)
                opened = [e for e in events if await _own(session, e, principal)]
            else:
                opened = list(events)
            personal = [e.seq for e in opened if e.note_sealed is not None]
            if personal:
                record_read(session, case_id=case_id, principal=principal, role=role,
                            purpose="case history",
                            basis=self.engine.access.scope_name(role, WORKFLOW),
                            fields=[f"event {seq} personal data" for seq in personal],
                            now=self.engine.clock())
            shown = {e.seq for e in opened}
            return [event_view(e, self.engine.notes) if e.seq in shown else _bare(e, keep=True)
                    for e in events]


def _money(minor: int | None) -> str | None:
    return None if minor is None else f"{Decimal(minor).scaleb(-2):.2f}"


def _service_view(s: ReturnService) -> ReturnServiceView:
    return ReturnServiceView(id=s.id or 0, kind=s.kind, provider=s.provider, status=s.status,
                             planned_cost=_money(s.planned_cost_minor) or "0.00",
                             actual_cost=_money(s.actual_cost_minor), currency=s.currency)


def _since_shared(events: builtins.list[CaseEvent],
                  organisation_id: int) -> builtins.list[CaseEvent]:
    """The events from the case's sharing with this partner on (none before it)."""
    start = next((i for i, e in enumerate(events) if e.event == "share_with_partner"
                  and e.data.get("partner_organisation_id") == organisation_id), None)
    return [] if start is None else events[start:]


async def _own(session: AsyncSession, event: CaseEvent, principal: Principal) -> bool:
    """Whether the event is the partner's own act (its notes and forms are its own words)."""
    if event.actor_role != "partner" or event.actor_id is None:
        return False
    actor = await session.get(User, event.actor_id)
    return actor is not None and actor.organisation_id == principal.organisation_id


def _bare(e: CaseEvent, *, keep: bool = False) -> CaseEventView:
    """The event without its note or personal data fields; ``keep``: with its clear data (what
    any reader of the case may know), else none (a referrer is not told the partner, the risk
    outcome or the services the data would name)."""
    data: dict[str, Any] = {}
    if keep:
        data = {k: v for k, v in e.data.items() if k != "sealed"}
        if e.event == "record_consent":
            data.pop("witness", None)
    personal = e.note_commitment is not None and e.note is None
    return CaseEventView(seq=e.seq, event=e.event, from_state=e.from_state, to_state=e.to_state,
                         actor_id=e.actor_id, actor_role=e.actor_role, reason_code=e.reason_code,
                         note=None if personal or not keep else e.note, data=data,
                         at=e.created_at, prev_hash=e.prev_hash, hash=e.hash,
                         personal_note=personal, note_erased=personal and e.note_sealed is None,
                         note_commitment=e.note_commitment)

"""The transition pipeline shared by every workflow.

Inside one transaction, always in this order: load the case with a write lock -> authorize
(role and scope) -> expected revision (409) -> event allowed from the state (409) -> required
inputs (422) -> guards (422 naming each failed one) -> state change and effects -> audit event
(a personal note sealed, ``cases.notes``) -> start and cancel timers -> enqueue notifications
-> commit (by the caller's transaction). Any exception rolls all of it back.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, insert, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from iris_engine.cases.access import Access, Principal
from iris_engine.cases.audit import GENESIS, chain_hash
from iris_engine.cases.context import TransitionContext
from iris_engine.cases.notes import SEALED_FIELDS, EventNotes, erase_notes
from iris_engine.clock import Clock, utcnow
from iris_engine.documents.codes import pointer_of
from iris_engine.errors import (
    EventNotAllowed,
    FieldError,
    Forbidden,
    GuardFailed,
    InvalidInput,
    NotFound,
    Refusal,
    StaleRevision,
)
from iris_engine.store.db import add_written, hold_loaded_rows, run_in, scalar_in
from iris_engine.store.models import MAX_ID, Case, CaseEvent
from iris_engine.store.rows import new_row
from iris_engine.vault import Vault
from iris_engine.workflow import (
    Actor,
    HookRegistry,
    Resources,
    TransitionInput,
    TransitionSpec,
    WorkflowCatalog,
    WorkflowSpec,
)
from iris_engine.workflow.history import entering_index
from iris_engine.workflow.spec import SYSTEM_ROLE, UPGRADE_EVENT, Assignment

if TYPE_CHECKING:
    from iris_engine.notifications import Notifier
    from iris_engine.timers import TimerBook
    from iris_engine.timers.book import NewDeadline

__all__ = ["OPENED_ON", "SYSTEM", "CaseEngine", "OneRowDetail", "TransitionOutcome", "utcnow"]

#: ``fire``: the detail row is not read yet
_UNREAD: Any = object()

#: the member of an opening event's data that names the workflow and version the case runs on
OPENED_ON = "workflow"


@dataclass(frozen=True, slots=True)
class TransitionOutcome:
    case: Case
    event: CaseEvent
    detail: Any
    #: the deadlines the transition (or the opening) set
    deadlines: tuple[NewDeadline, ...] = ()


SYSTEM = Principal(user_id=0, organisation_id=0, roles=frozenset({SYSTEM_ROLE}))


class OneRowDetail:
    """The detail loader of a workflow whose detail is one row keyed by the case id
    (``model.case_id``). A transition reads it with the case, in the statement that locks the
    case (one round trip, not two); asked alone, it reads the row by its key."""

    __slots__ = ("model", "with_case")

    def __init__(self, model: Any) -> None:
        self.model = model
        #: the case, locked, and this row (built once: building it cost more than running it)
        self.with_case = (
            select(Case, model).outerjoin(model, col(model.case_id) == col(Case.id))
            .where(col(Case.id) == bindparam("case_id"), col(Case.workflow) == bindparam("workflow"))
            .with_for_update(of=Case).execution_options(populate_existing=True))

    async def __call__(self, session: AsyncSession, case: Case) -> Any:
        detail = await session.get(self.model, case.id, populate_existing=True)
        return self.found(case, detail)

    def found(self, case: Case, detail: Any) -> Any:
        assert detail is not None, (
            f"{case.workflow} case {case.id} has no {self.model.__tablename__} row")
        return detail


class CaseEngine:
    def __init__(
        self,
        catalog: WorkflowCatalog,
        hooks: HookRegistry,
        *,
        clock: Clock = utcnow,
        resources: Resources | None = None,
        timers: TimerBook | None = None,
        notifier: Notifier | None = None,
        vault: Vault | None = None,
    ) -> None:
        self.catalog = catalog
        self.access = Access(catalog, hooks.scopes)
        self.hooks = hooks
        self.clock = clock
        self.resources = resources or Resources()
        self.timers = timers
        self.notifier = notifier
        #: seals and opens personal notes (the resources' vault unless one is given)
        self.notes = EventNotes(vault or next(iter(self.resources.all(Vault)), None))

    def with_clock(self, clock: Clock) -> CaseEngine:
        """The same engine reading another clock (the demo seeder walks cases through the past)."""
        other = copy.copy(self)
        other.clock = clock
        return other

    # -- reading -------------------------------------------------------------------------
    async def get_visible(self, session: AsyncSession, case_id: int, principal: Principal,
                          workflow: str, *, for_update: bool = False) -> Case:
        return (await self.reach(session, case_id, principal, workflow,
                                 for_update=for_update))[0]

    async def reach(self, session: AsyncSession, case_id: int, principal: Principal,
                    workflow: str, *, for_update: bool = False) -> tuple[Case, list[str]]:
        """The case, with the caller's roles that reach it (refused when none does)."""
        if not 0 < case_id <= MAX_ID:  # no such id: and the driver would overflow on it
            raise NotFound(f"no {workflow} case {case_id}")
        stmt = select(Case).where(col(Case.id) == case_id, col(Case.workflow) == workflow)
        if for_update:
            stmt = stmt.with_for_update()
        case = (await session.scalars(stmt.execution_options(populate_existing=True))).first()
        if case is None:
            raise NotFound(f"no {workflow} case {case_id}")
        return case, await self._roles_reaching(session, case, principal)

    async def _roles_reaching(self, session: AsyncSession, case: Case,
                              principal: Principal) -> list[str]:
        roles = await self.access.roles_in_scope(session, principal, case)
        if not roles:
            raise Forbidden(f"{case.workflow} case {case.id} is not yours to see or act on")
        return roles

    async def _lock_with_detail(self, session: AsyncSession, case_id: int, workflow: str,
                                loader: OneRowDetail) -> tuple[Case, Any]:
        """``reach(for_update=True)``'s case and the loader's detail row, in one statement
        (only the case row is locked: the detail is written under the case's lock)."""
        if not 0 < case_id <= MAX_ID:
            raise NotFound(f"no {workflow} case {case_id}")
        row = (await session.execute(loader.with_case,
                                     {"case_id": case_id, "workflow": workflow})).first()
        if row is None:
            raise NotFound(f"no {workflow} case {case_id}")
        case, detail = row
        return case, loader.found(case, detail)

    async def lock(self, session: AsyncSession, case_id: int) -> Case | None:
        """Lock a case for this transaction (before any other row of it: one lock order)."""
        return (await session.scalars(
            select(Case).where(col(Case.id) == case_id).with_for_update()
            .execution_options(populate_existing=True)
        )).first()

    async def erase_personal_notes(self, session: AsyncSession, case_ids: list[int]) -> int:
        """Erase the personal notes of these cases (a purge of personal data asks this through
        its context); their chains still verify. Answers how many notes were erased."""
        return await erase_notes(session, case_ids)

    async def history(self, session: AsyncSession, case: Case) -> list[CaseEvent]:
        rows = await session.scalars(
            select(CaseEvent).where(col(CaseEvent.case_id) == case.id).order_by(col(CaseEvent.seq))
        )
        return list(rows.all())

    async def entered(self, session: AsyncSession, case: Case,
                      states: frozenset[str]) -> CaseEvent | None:
        """The event that began the case's current stay in ``states`` (its ``from_state`` is
        where the case was before), read from the hash-chained events; a return into them
        (``back_from``) resumes an earlier stay and is looked through."""
        events = await self.history(session, case)
        spec = self.catalog.machine(case.workflow, case.workflow_version).spec
        found = entering_index(events, states, spec)
        return events[found] if found is not None else None

    async def destination(self, session: AsyncSession, case: Case,
                          spec: TransitionSpec) -> str:
        """Where ``spec`` takes the case now: its ``to``, the state it stays in, or for
        ``to: {back_from: [...]}`` the state it was in before it entered those states."""
        if not spec.back_from:
            return spec.dest or case.state
        entering = await self.entered(session, case, spec.back_from)
        before = entering.from_state if entering is not None else None
        if before not in spec.back_to:  # a history the definition cannot produce
            raise EventNotAllowed(
                f"{spec.event!r} goes back to the state before {', '.join(sorted(spec.back_from))}, "
                f"but case {case.id}'s history does not show one it may return to "
                f"(found {before!r}; one of {', '.join(spec.back_to)})",
                extra={"state": case.state})
        assert before is not None
        return before

    async def available(self, session: AsyncSession, case: Case,
                        principal: Principal) -> list[dict[str, Any]]:
        """Events the caller may fire now, with any guard that currently blocks each."""
        machine = self.catalog.machine(case.workflow, case.workflow_version)
        roles = set(await self.access.roles_in_scope(session, principal, case))
        out = []
        detail = await self._load_detail(session, case)
        for event in machine.allowed_events(case.state):
            spec = machine.spec.transition(event, case.state)
            assert spec is not None
            role = next((r for r in sorted(roles) if r in spec.roles), None)
            if role is None:
                continue
            try:
                dest = await self.destination(session, case, spec)
            except EventNotAllowed:  # no state to go back to: it cannot fire; list the rest
                continue
            ctx = self._context(session, case, detail, principal, role, spec,
                                TransitionInput(event, case.revision), dest)
            unmet = [{"guard": name, "message": msg} for name, msg, _ in
                     await self._run_guards(ctx, spec, pre_check=True)]
            out.append({
                "event": event,
                "to": dest,
                "as_role": role,
                "reason_codes": list(spec.reason_codes),
                "note_required": spec.note_required,
                "personal_note": machine.spec.note_is_personal(spec, role),
                "data_schema": spec.data_schema,
                "blocked_by": unmet,
            })
        return out

    # -- writing -------------------------------------------------------------------------
    async def open(self, session: AsyncSession, workflow: str, *, organisation_id: int | None,
                   principal: Principal, role: str, data: dict[str, Any] | None = None,
                   detail: Callable[[Case], Any] | None = None,
                   assignee_id: int | None = None) -> TransitionOutcome:
        """Start a case at the workflow's initial state on its latest version. ``detail``
        builds the domain's detail row from the new case (its id and time; timers may read it);
        ``assignee_id`` is who holds it from the start (recorded in the opening event)."""
        hold_loaded_rows(session)
        machine = self.catalog.machine(workflow)
        now = self.clock()
        case = new_row(Case, workflow=workflow, workflow_version=machine.spec.version,
                       state=machine.spec.initial, revision=0, organisation_id=organisation_id,
                       assignee_id=assignee_id, created_at=now, updated_at=now)
        data = dict(data or {})
        if assignee_id is not None:
            data["assignee_id"] = assignee_id
        # the chain pins what the case row says it runs on (``iris audit verify`` compares)
        data[OPENED_ON] = {"name": workflow, "version": machine.spec.version}
        await add_written(session, case)  # its id, which the chain and the detail hold
        row = detail(case) if detail is not None else None
        actor = Actor(principal.user_id or None, role, principal.organisation_id, principal.roles)
        event = await self._append(session, case, actor, "open", None, case.state, None, None,
                                   data, now)
        if row is not None:
            await add_written(session, row)
        ctx = TransitionContext(
            case=case, detail=row, actor=actor, request=TransitionInput("open", 0), source="",
            dest=case.state, now=now, session=session,
            workflow_settings=dict(machine.spec.settings), resources=self.resources, cases=self,
            timers=self.timers,
        )
        deadlines = await self._after(ctx, machine.spec, machine.spec.opening, None, event)
        return TransitionOutcome(case, event, row, deadlines)

    async def fire(self, session: AsyncSession, workflow: str, case_id: int,
                   principal: Principal, request: TransitionInput, *,
                   cause: dict[str, Any] | None = None,
                   locked: Case | None = None) -> TransitionOutcome:
        """Fire ``request.event`` on the case. ``cause`` (e.g. the timer that fired it) is
        recorded in the audit event beside the validated input; ``locked`` is the case when
        this transaction already holds it through ``lock``."""
        hold_loaded_rows(session)  # effects, notifier and response read the same rows
        detail: Any = _UNREAD
        if locked is not None and locked.id == case_id and locked.workflow == workflow:
            case, roles = locked, await self._roles_reaching(session, locked, principal)
        elif isinstance(loader := self.hooks.details.get(workflow), OneRowDetail):
            case, detail = await self._lock_with_detail(session, case_id, workflow, loader)
            roles = await self._roles_reaching(session, case, principal)
        else:
            case, roles = await self.reach(session, case_id, principal, workflow, for_update=True)
        machine = self.catalog.machine(case.workflow, case.workflow_version)
        spec_any = [t for t in machine.spec.transitions if t.event == request.event]
        if not spec_any:
            raise InvalidInput(
                f"{request.event!r} is not an event of {workflow} v{case.workflow_version}",
                errors=[FieldError("/event", "unknown event; known: "
                                   + ", ".join(sorted(machine.spec.events())))],
            )
        if not any(r in t.roles for t in spec_any for r in roles):
            allowed = sorted({r for t in spec_any for r in t.roles})
            raise Forbidden(f"{request.event!r} may be fired only by: {', '.join(allowed)}")
        if request.expected_revision != case.revision:
            raise StaleRevision(
                f"case {case.id} is at revision {case.revision}, not {request.expected_revision}; "
                "reload it and try again",
                extra={"current_revision": case.revision, "state": case.state},
            )
        spec = machine.spec.transition(request.event, case.state)
        if spec is None or not machine.can_fire(case.state, request.event):
            raise EventNotAllowed(
                f"{request.event!r} cannot be fired from state {case.state!r}",
                extra={"state": case.state, "allowed_events": machine.allowed_events(case.state)},
            )
        role = next((r for r in roles if r in spec.roles), None)
        if role is None:
            raise Forbidden(f"{request.event!r} from {case.state!r} may be fired only by: "
                            + ", ".join(sorted(spec.roles)))
        self._check_inputs(spec, request, machine.spec.reason_codes)
        if detail is _UNREAD:
            detail = await self._load_detail(session, case)
        dest = await self.destination(session, case, spec)
        ctx = self._context(session, case, detail, principal, role, spec, request, dest)
        failed = await self._run_guards(ctx, spec)
        if failed:
            raise GuardFailed(
                "; ".join(f"{name}: {msg}" for name, msg, _ in failed),
                errors=[e for _, _, errs in failed for e in errs],
                extra={"guards": [{"guard": n, "message": m} for n, m, _ in failed]},
            )
        source = case.state
        if not spec.back_from:
            dest = machine.fire(source, request.event)
        case.state = dest
        if spec.assign is not None:
            self._assign(ctx, spec.assign)
        if spec.effects:
            # the effects' queries see the case as the transition leaves it: written now, as a
            # table UPDATE on the driver (the first query would otherwise flush it through
            # the unit of work, ~8% of a suspend's CPU); no effects, and ``_append`` writes it
            await _write_case(session, case)
        for name in spec.effects:
            await self.hooks.effects[name](ctx)
        data = dict(request.data)
        personal_data = {name: data.pop(name) for name in spec.personal_data if name in data}
        if personal_data:
            data[SEALED_FIELDS] = sorted(personal_data)
        if ctx.outcome:
            data["outcome"] = ctx.outcome
        if cause:
            data["cause"] = cause
        event = await self._append(session, case, ctx.actor, request.event, source, dest,
                                   request.reason_code, request.note, data, ctx.now,
                                   personal=machine.spec.note_is_personal(spec, role),
                                   personal_data=personal_data)
        deadlines = await self._after(ctx, machine.spec, spec, source, event)
        return TransitionOutcome(case, event, detail, deadlines)

    async def _after(self, ctx: TransitionContext, workflow: WorkflowSpec,
                     spec: TransitionSpec, source: str | None,
                     event: CaseEvent) -> tuple[NewDeadline, ...]:
        """Timers, then notifications: the last steps before the caller commits."""
        deadlines = []
        if self.timers is not None:
            deadlines = await self.timers.on_transition(ctx, workflow, source, event.to_state,
                                                        event=event.event)
        if self.notifier is not None:
            await self.notifier.on_transition(ctx.session, ctx.case, workflow, spec, event,
                                              deadlines)
        return tuple(deadlines)

    # -- the steps -----------------------------------------------------------------------
    @staticmethod
    def _assign(ctx: TransitionContext, assignment: Assignment) -> None:
        """The transition's change of assignee, recorded in its event."""
        case = ctx.case
        if assignment.data_field is not None:
            assignee = ctx.request.data[assignment.data_field]
        elif case.assignee_id is None and ctx.actor.role == assignment.taken_by:
            assignee = ctx.actor.user_id
        else:
            return
        if assignee != case.assignee_id:
            case.assignee_id = assignee
            ctx.outcome["assignee_id"] = assignee

    def _context(self, session: AsyncSession, case: Case, detail: Any, principal: Principal,
                 role: str, spec: TransitionSpec, request: TransitionInput,
                 dest: str) -> TransitionContext:
        machine = self.catalog.machine(case.workflow, case.workflow_version)
        actor = Actor(principal.user_id or None, role, principal.organisation_id, principal.roles)
        return TransitionContext(
            case=case, detail=detail, actor=actor, request=request, source=case.state,
            dest=dest, now=self.clock(), session=session,
            workflow_settings=dict(machine.spec.settings), resources=self.resources, cases=self,
            timers=self.timers,
        )

    @staticmethod
    def _check_inputs(spec: TransitionSpec, request: TransitionInput,
                      known_codes: Any) -> None:
        errors: list[FieldError] = []
        if spec.reason_codes:
            if not request.reason_code:
                errors.append(FieldError("/reason_code", "a reason code is required for "
                                         f"{spec.event!r}; one of: {', '.join(spec.reason_codes)}"))
            elif request.reason_code not in spec.reason_codes:
                errors.append(FieldError("/reason_code", f"{request.reason_code!r} is not a reason "
                                         f"for {spec.event!r}; one of: {', '.join(spec.reason_codes)}"))
        elif request.reason_code and request.reason_code not in known_codes:
            errors.append(FieldError("/reason_code", f"unknown reason code {request.reason_code!r}"))
        if spec.note_required and not (request.note or "").strip():
            errors.append(FieldError("/note", f"a note explaining the decision is required for "
                                     f"{spec.event!r}"))
        if spec.data_validator is not None:
            for err in spec.data_validator.iter_errors(request.data):
                errors.append(FieldError("/data" + pointer_of(err.absolute_path), err.message))
        elif request.data:
            errors.append(FieldError("/data", f"{spec.event!r} takes no data"))
        if errors:
            raise InvalidInput(f"the input for {spec.event!r} is incomplete or invalid",
                               errors=sorted(errors, key=lambda e: e.pointer))

    async def _run_guards(self, ctx: TransitionContext, spec: TransitionSpec, *,
                          pre_check: bool = False) -> list[tuple[str, str, list[FieldError]]]:
        failed = []
        for name in spec.guards:
            if pre_check and name in self.hooks.input_guards:
                continue  # depends on data the caller has not sent yet
            # typed to answer nothing; read as ``object`` so one that answers anyway is caught
            guard: Callable[[TransitionContext], Awaitable[object]] = self.hooks.guards[name]
            try:
                answer = await guard(ctx)
            except Refusal as refusal:
                failed.append((name, refusal.message, refusal.errors))
                continue
            if answer is not None:  # one protocol: a guard raises Refusal, or answers nothing
                raise TypeError(f"guard {name!r} answered {answer!r}; raise Refusal instead")
        return failed

    async def _load_detail(self, session: AsyncSession, case: Case) -> Any:
        loader = self.hooks.details.get(case.workflow)
        return await loader(session, case) if loader else None

    async def load_detail(self, session: AsyncSession, case: Case) -> Any:
        """The case's detail row, as its hooks are handed it (None for a workflow without)."""
        return await self._load_detail(session, case)

    async def record_upgrade(self, session: AsyncSession, case: Case, to: WorkflowSpec,
                             now: datetime, outcome: dict[str, Any]) -> CaseEvent:
        """Move a case this transaction locked to version ``to`` of its workflow, as an
        ``upgrade`` event of its chain: same state, the system as actor, the two versions in
        its data (``iris audit verify`` replays the events after it on ``to``). The caller
        (``cases.upgrade``) checked the move is sound and sets the case's timers."""
        data = {"from_version": case.workflow_version, "to_version": to.version,
                "outcome": outcome}
        case.workflow_version = to.version
        return await self._append(session, case, Actor(None, SYSTEM_ROLE), UPGRADE_EVENT,
                                  case.state, case.state, None, None, data, now)

    async def _append(self, session: AsyncSession, case: Case, actor: Actor, event: str,
                      source: str | None, dest: str, reason_code: str | None, note: str | None,
                      data: dict[str, Any], now: datetime, *, personal: bool = False,
                      personal_data: dict[str, Any] | None = None) -> CaseEvent:
        """The event at the head of the case's chain, written now: the case row's new revision,
        time and head hash (with whatever else of it the transition changed and no statement
        has written yet) in one table UPDATE, and the event in one INSERT. Neither goes through
        the ORM's unit of work (a third of a transition's CPU went to flushes, issue #14); the
        loaded case is left as if the ORM had written it."""
        revision = case.revision + 1
        row = new_row(CaseEvent, case_id=case.id or 0, seq=revision, event=event,
                      from_state=source, to_state=dest, actor_id=actor.user_id,
                      actor_role=actor.role, reason_code=reason_code, note=note, data=data,
                      created_at=now, prev_hash=case.head_hash or GENESIS, hash="")
        sealed_note = note if personal else None
        if sealed_note is not None or personal_data:
            self.notes.seal_into(row, sealed_note, personal_data)
        row.hash = chain_hash(row.prev_hash, row)
        await _write_case(session, case, revision=revision, updated_at=now, head_hash=row.hash)
        row.id = await scalar_in(session, _INSERT_EVENT, {key: getattr(row, key)
                                                          for key in _EVENT_COLUMNS})
        return row


#: the tables behind the case row and its events (``_append`` writes them as tables)
_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_EVENTS: Table = CaseEvent.__table__  # type: ignore[attr-defined]
_EVENT_COLUMNS = tuple(c.key for c in _EVENTS.c if c.key != "id")
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
#: the parameters other than ``of_case`` name the columns it sets (built once)
_UPDATE_CASE = update(_CASES).where(_CASES.c.id == bindparam("of_case"))


async def _write_case(session: AsyncSession, case: Case, **values: Any) -> None:
    """Write the loaded case's unwritten changes (``_unwritten``) and ``values`` in one table
    UPDATE, on the driver where it can run there, and leave the case as if the ORM had written
    them (clean before the UPDATE: nothing flushes them twice)."""
    changed = {**_unwritten(case), **values}
    if not changed:
        return
    for key, value in changed.items():
        set_committed_value(case, key, value)
    # every change of the case is written now: it is clean, so no flush (an effect's query,
    # the commit) visits it (set_committed_value alone leaves it among the modified)
    state = inspect(case)
    state._commit_all(state.dict, session.sync_session.identity_map)
    await run_in(session, _UPDATE_CASE, {"of_case": case.id, **changed})


def _unwritten(case: Case) -> dict[str, Any]:
    """The columns of a loaded case changed since it was last written (e.g. its state, when no
    query has flushed it yet), with their new values."""
    state = inspect(case)
    if not state.modified:
        return {}
    return {key: getattr(case, key) for key, attr in state.attrs.items()
            if attr.history.has_changes()}

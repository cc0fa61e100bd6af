"""Moving live cases of a workflow to a later version of it (``iris workflows upgrade``).

A case runs on the version it started on; a new version of a workflow file sits beside the
old one (kept in a sub-folder). Each live case is moved on its own, in one transaction that
locks its row first (the lock order of every transition), after checking the move is sound
for that case:

- it runs on an older version (a case never moves back; one already on the target is left
  alone, so running the upgrade twice moves nothing the second time), one still defined;
- its state is not final (a closed case stays on the version it closed on);
- its state exists in the target, is not final there (a case is closed by a decision that
  someone is accountable for, not by a change of file) and some event leads out of it;
- its detail row still loads;
- the target's timers for its state can be set. Deadlines it has running that the target does
  not run in that state are cancelled; those the target runs there and the case has neither
  running nor spent since it entered them are started by their usual rules: a duration counts
  from the upgrade (no one can have missed a deadline they were never given), an anchored one
  from its anchor (a fact: a certificate's end), so it may already be due.

Any refusal leaves the case as it was. The move itself is an ``upgrade`` event in the case's
hash chain (same state, the system as actor, ``{from_version, to_version}`` and the timers in
its data), which ``iris audit verify`` replays: the events after it on the new version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases.context import TransitionContext
from iris_engine.errors import ApplicationError, NotFound
from iris_engine.store.models import Case, CaseEvent, Timer
from iris_engine.timers.store import LIVE
from iris_engine.workflow import Actor, TimerSpec, TransitionInput, WorkflowSpec
from iris_engine.workflow.spec import SYSTEM_ROLE, UPGRADE_EVENT

if TYPE_CHECKING:
    from iris_engine.cases.engine import CaseEngine
    from iris_engine.store.db import Database

__all__ = ["CaseMove", "UpgradeReport", "WorkflowUpgrade"]


class _Refused(Exception):
    """A case that cannot move, and why (in words an operator can act on)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class CaseMove:
    """One case's move (or why not). ``verdict``: ``move`` (moved, or would be on a dry run),
    ``refused``, or ``current`` (already on the target: nothing to do)."""

    case_id: int
    verdict: str
    state: str | None = None
    from_version: int | None = None
    reason: str = ""
    #: the deadlines cancelled, kept running, and started (name -> due)
    cancelled: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    started: dict[str, datetime] = field(default_factory=dict)
    #: anchored timers not set: their anchor has no moment for this case
    unset: list[str] = field(default_factory=list)
    #: the upgrade event's number in the case's chain, once moved
    event_seq: int | None = None


@dataclass(slots=True)
class UpgradeReport:
    workflow: str
    to_version: int
    dry_run: bool
    moves: list[CaseMove] = field(default_factory=list)
    #: closed cases on older versions, which stay where they are (not examined one by one)
    closed: int = 0

    def of(self, verdict: str) -> list[CaseMove]:
        return [m for m in self.moves if m.verdict == verdict]

    @property
    def complete(self) -> bool:
        """No case was refused."""
        return not self.of("refused")


class WorkflowUpgrade:
    """Moves the live cases of a workflow to a later version, each in a transaction of its own."""

    def __init__(self, db: Database, engine: CaseEngine) -> None:
        self.db = db
        self.engine = engine

    async def run(self, workflow: str, to_version: int, *, case_ids: Sequence[int] = (),
                  dry_run: bool = False) -> UpgradeReport:
        """Move every live case of ``workflow`` on an older version to ``to_version`` (or only
        ``case_ids``); on a dry run, check each and write nothing. Raises NotFound when the
        target version is not in the catalog."""
        target = self.engine.catalog.machine(workflow, to_version).spec
        report = UpgradeReport(workflow, to_version, dry_run)
        if case_ids:
            ids = list(dict.fromkeys(case_ids))
        else:
            ids, report.closed = await self._live_cases(workflow, to_version)
        for case_id in ids:
            report.moves.append(await self._one(case_id, target, dry_run=dry_run))
        return report

    async def _live_cases(self, workflow: str, to_version: int) -> tuple[list[int], int]:
        """Ids of the cases on older versions that are not closed, and how many are."""
        async with self.db.read() as session:
            rows = (await session.execute(
                select(col(Case.id), col(Case.workflow_version), col(Case.state))
                .where(col(Case.workflow) == workflow, col(Case.workflow_version) < to_version)
                .order_by(col(Case.id)))).all()
        live: list[int] = []
        closed = 0
        for case_id, version, state in rows:
            if self._is_closed(workflow, version, state):
                closed += 1
            else:  # an unknown version is examined, and refused with the reason
                live.append(case_id or 0)
        return live, closed

    def _is_closed(self, workflow: str, version: int, state: str) -> bool:
        try:
            spec = self.engine.catalog.machine(workflow, version).spec
        except NotFound:
            return False
        found = spec.states.get(state)
        return found is not None and found.final

    async def _one(self, case_id: int, target: WorkflowSpec, *, dry_run: bool) -> CaseMove:
        try:
            if dry_run:
                async with self.db.read() as session:
                    return await self._examine(session, case_id, target, write=False)
            async with self.db.write() as session:
                return await self._examine(session, case_id, target, write=True)
        except _Refused as refused:  # raised inside the transaction: it rolled back
            return CaseMove(case_id, "refused", reason=refused.reason)
        except ApplicationError as exc:  # e.g. a deadline the detail cannot say
            return CaseMove(case_id, "refused", reason=exc.detail)

    async def _examine(self, session: AsyncSession, case_id: int, target: WorkflowSpec, *,
                       write: bool) -> CaseMove:
        engine = self.engine
        case = await (engine.lock(session, case_id) if write else session.get(Case, case_id))
        if case is None:
            raise _Refused(f"no case {case_id}")
        current = self._check(case, target)
        if current is None:
            return CaseMove(case_id, "current", case.state, case.workflow_version)
        move = CaseMove(case_id, "move", case.state, case.workflow_version)
        try:
            detail = await engine.load_detail(session, case)
        except Exception as exc:  # whatever the loader raises, the case cannot run on
            raise _Refused(f"its detail does not load ({type(exc).__name__}: {exc})") from None
        ctx = TransitionContext(
            case=case, detail=detail, actor=Actor(None, SYSTEM_ROLE),
            request=TransitionInput(UPGRADE_EVENT, case.revision), source=case.state,
            dest=case.state, now=engine.clock(), session=session,
            workflow_settings=dict(target.settings), resources=engine.resources, cases=engine,
            timers=engine.timers)
        to_start = await self._plan_timers(ctx, target, move)
        if write:
            await self._apply(ctx, target, move, to_start)
        return move

    def _check(self, case: Case, target: WorkflowSpec) -> WorkflowSpec | None:
        """The version the case runs on, when it may move to ``target``; None when it is on
        it already. Refuses with the reason otherwise."""
        name, version, state = target.name, target.version, case.state
        if case.workflow != name:
            raise _Refused(f"it is a {case.workflow} case, not {name}")
        if case.workflow_version == version:
            return None
        if case.workflow_version > version:
            raise _Refused(f"it runs on v{case.workflow_version}, later than v{version}: a case "
                           "never moves back")
        try:
            current = self.engine.catalog.machine(name, case.workflow_version).spec
        except NotFound:
            raise _Refused(f"its version v{case.workflow_version} is not among the workflow "
                           "files (keep old versions in a sub-folder of the workflows folder)"
                           ) from None
        if state in current.states and current.states[state].final:
            raise _Refused(f"it is closed ({state!r} is final in v{case.workflow_version}): a "
                           "closed case stays on the version it closed on")
        if state not in target.states:
            raise _Refused(f"state {state!r} does not exist in {name} v{version} (its states: "
                           f"{', '.join(target.states)})")
        if target.states[state].final:
            raise _Refused(f"{state!r} is final in v{version}: a case is closed by a decision, "
                           "not by an upgrade")
        if not target.transitions_from(state):
            raise _Refused(f"no event of v{version} leads out of {state!r}: the case would be "
                           "stuck there")
        return current

    async def _plan_timers(self, ctx: TransitionContext, target: WorkflowSpec,
                           move: CaseMove) -> list[tuple[TimerSpec, datetime]]:
        """Fill in ``move``'s timers; answer the deadlines to start."""
        session, case = ctx.session, ctx.case
        pending = (await session.scalars(select(Timer).where(
            col(Timer.case_id) == case.id, col(Timer.status).in_(LIVE)))).all()
        wanted = {n: t for n, t in target.timers.items() if case.state in t.states}
        running = {t.name for t in pending if t.kind == "deadline"}
        move.cancelled = sorted({t.name for t in pending} - set(wanted))
        move.kept = sorted(running & set(wanted))
        not_running = [t for n, t in sorted(wanted.items()) if n not in running]
        if not not_running:
            return []
        events = list((await session.scalars(select(CaseEvent).where(
            col(CaseEvent.case_id) == case.id).order_by(col(CaseEvent.seq)))).all())
        to_start = []
        for timer in not_running:
            if await self._spent(session, case, timer, events):
                continue
            due = await ctx.timer_book.deadline(ctx, timer)
            if due is None:
                move.unset.append(timer.name)
                continue
            move.started[timer.name] = due
            to_start.append((timer, due))
        return to_start

    @staticmethod
    async def _spent(session: AsyncSession, case: Case, timer: TimerSpec,
                     events: Sequence[CaseEvent]) -> bool:
        """Whether the case already had this deadline since it last entered the timer's states
        (it fell due, or was discarded, and the case stayed): it is not given again."""
        entered = events[0].created_at
        for event in reversed(events):
            if event.to_state not in timer.states:
                break
            entered = event.created_at
        done = (await session.scalars(select(col(Timer.id)).where(
            col(Timer.case_id) == case.id, col(Timer.name) == timer.name,
            col(Timer.kind) == "deadline", col(Timer.status).in_(("done", "discarded")),
            col(Timer.created_at) >= entered).limit(1))).first()
        return done is not None

    async def _apply(self, ctx: TransitionContext, target: WorkflowSpec, move: CaseMove,
                     to_start: list[tuple[TimerSpec, datetime]]) -> None:
        """The upgrade event, then the timers: all in the caller's transaction."""
        outcome = {"timers_cancelled": move.cancelled,
                   "timers_started": {n: due.isoformat() for n, due in move.started.items()}}
        event = await self.engine.record_upgrade(ctx.session, ctx.case, target, ctx.now, outcome)
        move.event_seq = event.seq
        if move.cancelled:
            await ctx.timer_book.cancel(
                ctx, move.cancelled, reason=f"the case moved to {target.name} v{target.version}, "
                f"which runs no such timer in {ctx.case.state!r}")
        for timer, due in to_start:
            await ctx.timer_book.set(ctx, timer, due)

"""Fires due timers. Any number of tickers may run against one database:

1. *claim*: one short transaction marks up to ``batch`` due rows as ours until a lease ends
   (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so tickers never wait on each other; SQLite: the
   same conditional UPDATE, atomic because SQLite has one writer at a time);
2. *fire*: each claimed row in its own transaction: lock the case (first, in the same order as
   a user's transition, so the two never deadlock), re-check that the row is still pending and
   still ours, fire the event through the normal pipeline as the system actor, mark the row
   done. Either all of that commits or none of it, so nothing fires twice; a row whose case
   has moved on is discarded, and the reason kept on the row.

A ticker that dies leaves rows claimed but pending; when the lease ends another ticker takes
them over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases.engine import SYSTEM
from iris_engine.errors import ApplicationError
from iris_engine.failures import said, traceback_of
from iris_engine.store.models import Timer
from iris_engine.workflow import TransitionInput

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["SweepReport", "TimerSweeper"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SweepReport:
    claimed: int = 0
    fired: int = 0  # deadlines whose event was fired
    told: int = 0  # reminders and notice-only deadlines sent to the outbox
    discarded: int = 0
    skipped: int = 0  # cancelled or taken over by another ticker after we claimed it
    failed: int = 0
    #: timer id -> what became of it (for tests and benchmarks; left out of the log line)
    outcomes: dict[int, str] = field(default_factory=dict, repr=False)

    def add(self, other: SweepReport) -> None:
        for name in ("claimed", "fired", "told", "discarded", "skipped", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.outcomes.update(other.outcomes)


class TimerSweeper:
    def __init__(self, services: Services, worker_id: str) -> None:
        self.services = services
        self.worker_id = worker_id

    @property
    def now(self) -> datetime:
        return self.services.clock()

    async def claim(self, limit: int) -> list[tuple[int, int]]:
        """Claim up to ``limit`` due timers; answers (timer id, case id), oldest due first."""
        now = self.now
        lease = now + timedelta(seconds=self.services.settings.claim_seconds)
        due = (
            select(col(Timer.id))
            .where(col(Timer.status) == "pending", col(Timer.due_at) <= now,
                   or_(col(Timer.claimed_until).is_(None), col(Timer.claimed_until) < now))
            .order_by(col(Timer.due_at), col(Timer.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self.services.db.write() as session:
            rows = (await session.execute(
                update(Timer).where(col(Timer.id).in_(due.scalar_subquery()))
                .values(claimed_by=self.worker_id, claimed_until=lease)
                .returning(col(Timer.id), col(Timer.case_id), col(Timer.due_at))
            )).all()
        return [(r[0] or 0, r[1]) for r in sorted(rows, key=lambda r: (r[2], r[0]))]

    async def sweep(self, *, batch: int | None = None, max_fire: int | None = None) -> SweepReport:
        """Claim one batch and fire it. ``max_fire`` stops early (as a process that dies would)."""
        report = SweepReport()
        claimed = await self.claim(batch or self.services.settings.tick_batch)
        report.claimed = len(claimed)
        for n, (timer_id, case_id) in enumerate(claimed):
            if max_fire is not None and n >= max_fire:
                break
            outcome = await self.fire(timer_id, case_id)
            report.outcomes[timer_id] = outcome
            setattr(report, outcome, getattr(report, outcome) + 1)
        return report

    async def fire(self, timer_id: int, case_id: int) -> str:
        """Fire one claimed timer; answers fired, told, discarded, skipped or failed."""
        try:
            async with self.services.db.write() as session:
                return await self._fire(session, timer_id, case_id)
        except Exception as exc:
            # Rolled back: nothing happened. Keep the error on the row; the claim lapses and
            # the timer is tried again, by this ticker or another.
            log.error("timer %s of case %s failed; it will be retried\n%s", timer_id, case_id,
                      traceback_of(exc))
            async with self.services.db.write() as session:
                await session.execute(
                    update(Timer).where(col(Timer.id) == timer_id)
                    .values(attempts=col(Timer.attempts) + 1,
                            outcome=f"attempt failed: {said(exc)}"[:2000])
                )
            return "failed"

    async def _fire(self, session: AsyncSession, timer_id: int, case_id: int) -> str:
        services = self.services
        now = self.now
        case = await services.engine.lock(session, case_id)
        timer = (await session.scalars(
            select(Timer).where(col(Timer.id) == timer_id, col(Timer.status) == "pending",
                                col(Timer.claimed_by) == self.worker_id)
            .with_for_update().execution_options(populate_existing=True)
        )).first()
        if timer is None or case is None:
            return "skipped"  # cancelled meanwhile, or our lease ran out and another took it
        spec = services.catalog.machine(case.workflow, case.workflow_version).spec
        tspec = spec.timers.get(timer.name)

        def finish(status: str, outcome: str) -> None:
            assert timer is not None
            timer.status, timer.outcome, timer.finished_at = status, outcome, now
            timer.claimed_by = timer.claimed_until = None

        if tspec is None:
            finish("discarded", f"{case.workflow} v{case.workflow_version} has no timer {timer.name!r}")
            return "discarded"
        if case.state not in tspec.states:
            finish("discarded", f"the case had moved on to {case.state!r}")
            return "discarded"
        if timer.kind == "reminder":
            if now >= timer.deadline_at:
                finish("discarded", "the deadline had passed before the reminder went out")
                return "discarded"
            await services.notifier.reminder(session, case, spec, tspec, timer.deadline_at, now)
            finish("done", "reminder sent")
            return "told"
        result = "told"
        told = set(tspec.notify)
        if tspec.event is not None:
            fired = spec.transition(tspec.event, case.state)
            told -= set(fired.notify if fired is not None else ())  # they hear of it already
            try:
                outcome = await services.engine.fire(
                    session, case.workflow, case.id or 0, SYSTEM,
                    TransitionInput(tspec.event, case.revision, tspec.reason_code, tspec.note),
                    cause={"timer": {"id": timer.id, "name": timer.name,
                                     "due_at": timer.due_at.isoformat()}},
                    locked=case,
                )
            except ApplicationError as refused:  # the event no longer applies (guard, state)
                finish("discarded", f"{tspec.event} was refused: {refused}")
                return "discarded"
            finish("done", f"fired {tspec.event}: case event {outcome.event.seq}")
            result = "fired"
        if told:
            await services.notifier.deadline_due(session, case, spec, tspec, timer.deadline_at,
                                                 now, roles=told)
        if result == "told":  # nothing fires: the deadline still applies while the case stays
            finish("overdue", "deadline notice sent")
        return result

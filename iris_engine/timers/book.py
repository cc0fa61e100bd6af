"""Starts and cancels a case's timers inside the transaction of the transition that moves it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, Update, bindparam, insert, literal, update
from sqlalchemy import case as when

from iris_engine.errors import ApplicationError
from iris_engine.store.db import insert_in, run_in
from iris_engine.store.models import Timer
from iris_engine.timers.store import LIVE
from iris_engine.workflow import HookRegistry, TimerSpec, WorkflowSpec

if TYPE_CHECKING:
    from iris_engine.cases.context import TransitionContext

__all__ = ["DeadlineUndefined", "NewDeadline", "TimerBook"]

log = logging.getLogger(__name__)

_TIMERS: Table = Timer.__table__  # type: ignore[attr-defined]
_INSERT_TIMER = insert(_TIMERS)
_OVERDUE = _TIMERS.c.status == "overdue"
#: ``TimerBook.cancel``'s statement per set of timer names (a workflow's names: a handful),
#: each name a parameter of one fixed text, so that it runs on the driver (``run_in``); built
#: once each (building it cost more than running it)
_CANCELS: dict[tuple[str, ...], Update] = {}


def _cancelling(names: tuple[str, ...]) -> Update:
    statement = _CANCELS.get(names)
    if statement is None:
        statement = (
            update(_TIMERS)
            .where(_TIMERS.c.case_id == bindparam("of_case"),
                   _TIMERS.c.status.in_([literal(status) for status in LIVE]),
                   _TIMERS.c.name.in_([literal(name) for name in names]))
            .values(status=when((_OVERDUE, "done"), else_="cancelled"),
                    finished_at=bindparam("at"),
                    outcome=when((_OVERDUE, _TIMERS.c.outcome), else_=bindparam("reason"))))
        _CANCELS[names] = statement
    return statement


class DeadlineUndefined(ApplicationError):
    """A case reached a timer whose duration depends on a detail value it does not know."""

    title = "Deadline undefined"
    slug = "deadline-undefined"


@dataclass(frozen=True, slots=True)
class NewDeadline:
    spec: TimerSpec
    due_at: datetime


class TimerBook:
    def __init__(self, hooks: HookRegistry) -> None:
        self.hooks = hooks

    async def on_transition(self, ctx: TransitionContext, spec: WorkflowSpec,
                            source: str | None, dest: str, *,
                            event: str | None = None) -> list[NewDeadline]:
        """Cancel the timers the case leaves, start those it enters; answer the new deadlines.

        A move inside a timer's states (e.g. accredited -> surveillance for the certificate
        expiry) neither stops nor restarts it, unless its event is one the timer names in
        ``restart_on`` (a renewal that moves the certificate's end).
        """
        if not spec.timers:
            return []
        event = event or ctx.request.event
        stopping = [t.name for t in spec.timers.values() if t.stops(source, dest)]
        restarting = [t.name for t in spec.timers.values() if t.restarts(event, source, dest)]
        for names, why in ((stopping, f"the case moved from {source} to {dest}"),
                           (restarting, f"started afresh by {event}")):
            if names:
                await self.cancel(ctx, names, reason=why)
        started: list[NewDeadline] = []
        for timer in spec.timers.values():
            if not (timer.starts(source, dest) or timer.name in restarting):
                continue
            due = await self.deadline(ctx, timer)
            if due is None:
                log.warning("case %s: timer %s has no %s to count from; not set",
                            ctx.case.id, timer.name, timer.anchor)
                continue
            started.append(await self.set(ctx, timer, due))
        return started

    async def set(self, ctx: TransitionContext, timer: TimerSpec, due: datetime) -> NewDeadline:
        """Write the case's deadline ``due`` of ``timer`` and its reminders still to come.

        One Core INSERT for them all: nothing reads the rows back as objects in the transaction
        that writes them, and building SQLModel rows (and fetching each new id) cost more than
        the statement."""
        rows = [self._row(ctx, timer, "deadline", due, due)]
        for before in timer.remind_before:
            at = due - before
            if at > ctx.now:  # a reminder of a deadline already that close is no use
                rows.append(self._row(ctx, timer, "reminder", at, due))
        await insert_in(ctx.session, _INSERT_TIMER, rows)
        return NewDeadline(timer, due)

    @staticmethod
    def _row(ctx: TransitionContext, timer: TimerSpec, kind: str, at: datetime,
             deadline: datetime) -> dict[str, Any]:
        return {"case_id": ctx.case.id or 0, "name": timer.name, "kind": kind, "due_at": at,
                "deadline_at": deadline, "status": "pending", "claimed_by": None,
                "claimed_until": None, "attempts": 0, "outcome": None, "created_at": ctx.now,
                "finished_at": None}

    async def cancel(self, ctx: TransitionContext, names: list[str], *, reason: str) -> None:
        """End the case's live timers ``names``: a pending one is cancelled with ``reason``;
        an overdue one (told, not met) is done, keeping what it told. One statement, on the
        table (no timer is held as an object by a transition: the ORM's bulk update would
        search the session for rows to synchronise, at several times the statement's cost)."""
        await run_in(ctx.session, _cancelling(tuple(sorted(names))),
                     {"of_case": ctx.case.id, "at": ctx.now, "reason": reason})

    async def postpone(self, ctx: TransitionContext, due: datetime, *, reason: str) -> int:
        """Move the case's live deadlines to ``due`` (an overdue one pending again, to be told
        again then); their reminders, now of another date, are cancelled with ``reason``.
        Answers how many deadlines moved."""
        of_case = _TIMERS.c.case_id == ctx.case.id
        moved = await ctx.session.execute(
            update(_TIMERS).where(of_case, _TIMERS.c.status.in_(LIVE),
                                  _TIMERS.c.kind == "deadline")
            .values(due_at=due, deadline_at=due, status="pending", outcome=None,
                    finished_at=None))
        await ctx.session.execute(
            update(_TIMERS).where(of_case, _TIMERS.c.status == "pending",
                                  _TIMERS.c.kind == "reminder")
            .values(status="cancelled", finished_at=ctx.now, outcome=reason))
        return int(moved.rowcount)  # type: ignore[attr-defined]

    async def deadline(self, ctx: TransitionContext, timer: TimerSpec) -> datetime | None:
        if timer.after is not None:
            return ctx.now + timer.after
        if timer.after_by is not None:
            value: Any = getattr(ctx.detail, timer.after_by, None)  # the detail is untyped
            if value not in timer.after_by_value:
                # a deadline silently not set is a promise silently broken: refuse the move
                raise DeadlineUndefined(
                    f"timer {timer.name!r} has no duration for {timer.after_by}={value!r} "
                    f"(known: {', '.join(sorted(timer.after_by_value))})")
            return ctx.now + timer.after_by_value[value]
        assert timer.anchor is not None
        moment = await self.hooks.anchors[timer.anchor](ctx)
        if moment is None:
            return None
        return moment + timer.offset if timer.offset is not None else moment

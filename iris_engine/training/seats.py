"""Seats in a session: counted with the session's case row locked (the engine's lock), so two
confirmations at once cannot both take the last seat; a seat freed goes to the first on the
waitlist (in the order enrolments joined it) in the same transaction, through the engine.

Lock order, everywhere: the session's case, then an enrolment's case. The enrolment service
locks the session before it fires an event that counts seats; a session's own events hold it
already; the timers' events that reach enrolments (expiry, retention) count no seat."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import SYSTEM, TransitionContext
from iris_engine.store.models import Case
from iris_engine.training.models import Enrolment, TrainingSession
from iris_engine.workflow import TransitionInput

__all__ = ["TAKING_SEATS", "first_waitlisted", "locked_session", "promote_first"]

#: the session's states in which seats are taken and given back
TAKING_SEATS = frozenset({"registration_open", "registration_closed"})


async def locked_session(ctx: TransitionContext, *, lock: bool = True) -> tuple[Case, TrainingSession]:
    """The enrolment's session; with ``lock``, its case locked for this transaction (already
    held by the enrolment service or the session's own event: locking again is a no-op).
    Guards read without the lock: they also run to list what may fire, in a read."""
    enrolment: Enrolment = ctx.detail
    if lock:
        case = await ctx.engine.lock(ctx.session, enrolment.session_case_id)
    else:  # a query (not ``get``): it flushes this transaction's changes first
        case = (await ctx.session.scalars(
            select(Case).where(col(Case.id) == enrolment.session_case_id)
            .execution_options(populate_existing=True))).first()
    assert case is not None, f"enrolment {enrolment.case_id} has no session case"
    detail = await ctx.session.get(TrainingSession, case.id, populate_existing=True)
    assert detail is not None
    return case, detail


async def first_waitlisted(ctx: TransitionContext, session_case_id: int) -> int | None:
    return await ctx.session.scalar(
        select(col(Enrolment.case_id)).join(Case, col(Case.id) == col(Enrolment.case_id))
        .where(col(Enrolment.session_case_id) == session_case_id, col(Case.state) == "waitlisted")
        .order_by(col(Enrolment.waitlisted_at), col(Enrolment.case_id)).limit(1))


async def promote_first(ctx: TransitionContext, session_case: Case,
                        detail: TrainingSession) -> int | None:
    """Give a free seat to the first waitlisted enrolment (an audited ``promote``)."""
    if session_case.state not in TAKING_SEATS or ctx.now >= detail.starts_at:
        return None
    if detail.seats_taken >= detail.capacity:
        return None
    case_id = await first_waitlisted(ctx, session_case.id or 0)
    if case_id is None:
        return None
    case = await ctx.engine.lock(ctx.session, case_id)
    assert case is not None
    await ctx.engine.fire(ctx.session, "enrolment", case_id, SYSTEM,
                          TransitionInput("promote", case.revision),
                          cause={"enrolment": {"case_id": ctx.case.id, "event": ctx.request.event}},
                          locked=case)
    return case_id

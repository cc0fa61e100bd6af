"""The training session workflow's guards, effects and anchor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from iris_engine.cases import SYSTEM, Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.store.models import Case, User
from iris_engine.training.mail import LearnerMail, session_line
from iris_engine.training.models import Course, Enrolment, Learner, TrainingSession
from iris_engine.workflow import HookRegistry, TransitionInput
from iris_engine.workflow.spec import duration_setting

__all__ = ["LIVE_ENROLMENT", "hooks"]

hooks = HookRegistry()

#: an enrolment in these states still expects the session
LIVE_ENROLMENT = ("requested", "confirmed", "waitlisted")
ALL_ENROLMENT_STATES = (*LIVE_ENROLMENT, "assessed", "cancelled", "no_show", "failed",
                        "certified", "revoked")


async def _course(ctx: TransitionContext) -> Course:
    course = await ctx.session.get(Course, ctx.detail.course_id)
    assert course is not None
    return course


async def _enrolments(ctx: TransitionContext, states: tuple[str, ...]) -> list[tuple[Case, Enrolment]]:
    rows = await ctx.session.execute(
        select(Case, Enrolment).join(Enrolment, col(Enrolment.case_id) == col(Case.id))
        .where(col(Enrolment.session_case_id) == ctx.case.id, col(Case.state).in_(states))
        .order_by(col(Case.id)))
    return [(case, enrolment) for case, enrolment in rows.all()]


@hooks.anchor("reminder_due")
async def reminder_due(ctx: TransitionContext) -> datetime | None:
    session: TrainingSession = ctx.detail
    return session.starts_at - duration_setting(ctx.workflow_settings, "reminder_before", "PT24H")


@hooks.guard("session_not_started")
async def session_not_started(ctx: TransitionContext) -> None:
    if ctx.now >= ctx.detail.starts_at:
        raise Refusal(f"the session started on {ctx.detail.starts_at:%d %B %Y, %H:%M} UTC")


@hooks.guard("session_ended")
async def session_ended(ctx: TransitionContext) -> None:
    if ctx.now < ctx.detail.ends_at:
        raise Refusal(f"the session ends on {ctx.detail.ends_at:%d %B %Y, %H:%M} UTC; it is "
                      "delivered after that")


@hooks.guard("trainer_eligible", reads_input=True)
async def trainer_eligible(ctx: TransitionContext) -> None:
    user = await ctx.session.get(User, ctx.request.data["trainer_id"])
    if user is None or not user.active or "trainer" not in user.role_set:
        raise Refusal(f"user {ctx.request.data['trainer_id']} is not an active trainer",
                      [FieldError("/data/trainer_id", "not an active trainer")])


@hooks.guard("attendance_recorded")
async def attendance_recorded(ctx: TransitionContext) -> None:
    waiting = await ctx.session.scalar(
        select(func.count()).select_from(Enrolment).join(Case, col(Case.id) == col(Enrolment.case_id))
        .where(col(Enrolment.session_case_id) == ctx.case.id,
               col(Case.state).in_(("confirmed", "assessed"))))
    if waiting:
        raise Refusal(f"{waiting} confirmed learner(s) have no attendance recorded (or are "
                      "not yet certified or failed)")


@hooks.effect("record_trainer")
async def record_trainer(ctx: TransitionContext) -> None:
    """The session's trainer changes; its enrolments follow (their assignee is the trainer,
    which is what gives the trainer access to them), each through an audited event."""
    trainer_id = int(ctx.request.data["trainer_id"])
    ctx.detail.trainer_id = trainer_id
    moved = []
    for case, _enrolment in await _enrolments(ctx, ALL_ENROLMENT_STATES):
        if case.assignee_id == trainer_id:
            continue
        locked = await ctx.engine.lock(ctx.session, case.id or 0)
        assert locked is not None
        await ctx.engine.fire(ctx.session, "enrolment", case.id or 0, SYSTEM, TransitionInput(
            "follow_trainer", locked.revision, data={"trainer_id": trainer_id}),
            cause={"training_session": {"case_id": ctx.case.id, "event_seq": ctx.case.revision + 1}},
            locked=locked)
        moved.append(case.id)
    ctx.outcome["enrolments_reassigned"] = moved


@hooks.effect("cancel_enrolments")
async def cancel_enrolments(ctx: TransitionContext) -> None:
    """Cancel every live enrolment through the engine (each audited) and tell each learner."""
    mail = ctx.resources.get(LearnerMail)
    course = await _course(ctx)
    what = session_line(course, ctx.detail)
    cancelled, told = [], 0
    for case, enrolment in await _enrolments(ctx, LIVE_ENROLMENT):
        locked = await ctx.engine.lock(ctx.session, case.id or 0)
        assert locked is not None
        await ctx.engine.fire(ctx.session, "enrolment", case.id or 0, SYSTEM, TransitionInput(
            "cancel", locked.revision, reason_code="session_cancelled"),
            cause={"training_session": {"case_id": ctx.case.id, "event_seq": ctx.case.revision + 1}},
            locked=locked)
        cancelled.append(case.id)
        learner = await ctx.session.get(Learner, enrolment.learner_id)
        assert learner is not None
        told += mail.send(ctx.session, learner, topic="training.session_cancelled", now=ctx.now,
                          case_id=case.id, subject="A training session was cancelled", lines=[
                              f"The session you enrolled in was cancelled: {what}.", "",
                              "Your enrolment is cancelled with it. Enrol in another session at "
                              f"{mail.base}/api/v1/training/sessions/open"])
    ctx.detail.seats_taken = 0
    ctx.outcome["enrolments_cancelled"] = cancelled
    ctx.outcome["learners_told"] = told


@hooks.effect("remind_learners")
async def remind_learners(ctx: TransitionContext) -> None:
    mail = ctx.resources.get(LearnerMail)
    what = session_line(await _course(ctx), ctx.detail)
    told = 0
    for case, enrolment in await _enrolments(ctx, ("confirmed",)):
        learner = await ctx.session.get(Learner, enrolment.learner_id)
        assert learner is not None
        told += mail.send(ctx.session, learner, topic="training.reminder", now=ctx.now,
                          case_id=case.id, subject="Your training session is near",
                          lines=[f"A reminder: you are enrolled in {what}.", "",
                                 "If you cannot come, cancel your enrolment (GET "
                                 f"{mail.base}/api/v1/training/me with your link token) so "
                                 "that someone on the waitlist can take your seat."])
    ctx.outcome["learners_reminded"] = told


@hooks.effect("request_feedback")
async def request_feedback(ctx: TransitionContext) -> None:
    mail = ctx.resources.get(LearnerMail)
    what = session_line(await _course(ctx), ctx.detail)
    asked = 0
    for case, enrolment in await _enrolments(ctx, ("assessed", "certified", "failed")):
        learner = await ctx.session.get(Learner, enrolment.learner_id)
        assert learner is not None
        asked += mail.send(ctx.session, learner, topic="training.feedback", now=ctx.now,
                           case_id=case.id, subject="How was your training?",
                           lines=[f"Thank you for attending {what}.", "",
                                  "Tell your trainer or the training coordinator what worked and "
                                  "what did not: it shapes the next sessions."])
    ctx.outcome["feedback_requested"] = asked

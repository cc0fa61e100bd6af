"""The enrolment workflow's guards and effects: seats and the waitlist, attendance and
assessment, certificates, and the erasure at the end of retention."""

from __future__ import annotations

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.training import issuance
from iris_engine.training.mail import LearnerMail, session_line
from iris_engine.training.models import Course, Enrolment, Learner, TrainingSession
from iris_engine.training.retention import erase_learner_if_done
from iris_engine.training.rules import passes
from iris_engine.training.seats import TAKING_SEATS, locked_session, promote_first
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


async def _session_and_course(ctx: TransitionContext) -> tuple[TrainingSession, Course]:
    session = await ctx.session.get(TrainingSession, ctx.detail.session_case_id)
    assert session is not None
    course = await ctx.session.get(Course, session.course_id)
    assert course is not None
    return session, course


# -- seats -------------------------------------------------------------------------------
@hooks.guard("session_accepts_enrolments")
async def session_accepts_enrolments(ctx: TransitionContext) -> None:
    case, session = await locked_session(ctx, lock=False)
    if case.state != "registration_open":
        raise Refusal(f"session {case.id} is not open for registration (it is "
                      f"{case.state.replace('_', ' ')})")
    if ctx.now >= session.starts_at:
        raise Refusal(f"session {case.id} has started")


@hooks.guard("seat_available")
async def seat_available(ctx: TransitionContext) -> None:
    case, session = await locked_session(ctx, lock=False)
    if case.state not in TAKING_SEATS:
        raise Refusal(f"session {case.id} is {case.state.replace('_', ' ')}: it takes no learners")
    if session.seats_taken >= session.capacity:
        raise Refusal(f"session {case.id} is full ({session.capacity} seats): join the waitlist")


@hooks.guard("session_full")
async def session_full(ctx: TransitionContext) -> None:
    case, session = await locked_session(ctx, lock=False)
    if session.seats_taken < session.capacity:
        raise Refusal(f"session {case.id} has a free seat: confirm instead")


@hooks.effect("take_seat")
async def take_seat(ctx: TransitionContext) -> None:
    _case, session = await locked_session(ctx)
    session.seats_taken += 1
    ctx.outcome["seats_taken"] = session.seats_taken
    if ctx.source == "waitlisted":  # promoted: the learner hears that the seat is theirs
        course = await ctx.session.get(Course, session.course_id)
        learner = await ctx.session.get(Learner, ctx.detail.learner_id)
        assert course is not None and learner is not None
        mail = ctx.resources.get(LearnerMail)
        mail.send(ctx.session, learner, topic="training.promoted", now=ctx.now,
                  case_id=ctx.case.id, subject="A seat is yours",
                  lines=[f"A seat freed up and is now yours: {session_line(course, session)}.",
                         "", "If you cannot come, cancel your enrolment so that the next person "
                         "on the waitlist can take it."])


@hooks.effect("join_waitlist")
async def join_waitlist(ctx: TransitionContext) -> None:
    enrolment: Enrolment = ctx.detail
    enrolment.waitlisted_at = ctx.now


@hooks.effect("free_seat")
async def free_seat(ctx: TransitionContext) -> None:
    """A confirmed enrolment cancelled gives its seat back; the first waitlisted takes it."""
    enrolment: Enrolment = ctx.detail
    enrolment.confirmation_hash = None  # a cancelled request can no longer be confirmed
    if ctx.source != "confirmed":
        return
    case, session = await locked_session(ctx)
    session.seats_taken = max(0, session.seats_taken - 1)
    promoted = await promote_first(ctx, case, session)
    if promoted is not None:
        ctx.outcome["promoted"] = promoted


# -- attendance and assessment -----------------------------------------------------------
@hooks.guard("session_started")
async def session_started(ctx: TransitionContext) -> None:
    case, session = await locked_session(ctx, lock=False)
    if case.state in ("cancelled", "closed"):
        raise Refusal(f"session {case.id} is {case.state}")
    if ctx.now < session.starts_at:
        raise Refusal(f"session {case.id} starts on {session.starts_at:%d %B %Y, %H:%M} UTC; "
                      "attendance is recorded once it has started")


@hooks.guard("score_given_if_checked", reads_input=True)
async def score_given_if_checked(ctx: TransitionContext) -> None:
    _session, course = await _session_and_course(ctx)
    given = ctx.request.data.get("score") is not None
    if course.pass_mark is not None and not given:
        raise Refusal("the course has a knowledge check: record the score",
                      [FieldError("/data/score", f"required (pass mark {course.pass_mark}%)")])
    if course.pass_mark is None and given:
        raise Refusal("the course has no knowledge check",
                      [FieldError("/data/score", "the course has no knowledge check")])
    if ctx.request.data["minutes_present"] > course.duration_minutes:
        raise Refusal("more minutes than the session lasts", [FieldError(
            "/data/minutes_present", f"at most {course.duration_minutes}")])


@hooks.effect("record_assessment")
async def record_assessment(ctx: TransitionContext) -> None:
    enrolment: Enrolment = ctx.detail
    _session, course = await _session_and_course(ctx)
    enrolment.minutes_present = int(ctx.request.data["minutes_present"])
    score = ctx.request.data.get("score")
    enrolment.score = int(score) if score is not None else None
    enrolment.passed = passes(course, enrolment.minutes_present, enrolment.score)
    ctx.outcome["passed"] = enrolment.passed


@hooks.guard("assessment_passed")
async def assessment_passed(ctx: TransitionContext) -> None:
    if not ctx.detail.passed:
        raise Refusal("the learner did not pass (attendance below the threshold or the score "
                      "below the pass mark)")


@hooks.guard("assessment_not_passed")
async def assessment_not_passed(ctx: TransitionContext) -> None:
    if ctx.detail.passed:
        raise Refusal("the learner passed: certify instead")


# -- certificates --------------------------------------------------------------------------
@hooks.effect("issue_certificate")
async def issue_certificate(ctx: TransitionContext) -> None:
    await issuance.issue(ctx)


@hooks.effect("revoke_certificate")
async def revoke_certificate(ctx: TransitionContext) -> None:
    await issuance.revoke(ctx)


@hooks.effect("reissue_certificate")
async def reissue_certificate(ctx: TransitionContext) -> None:
    old = await issuance.current_certificate(ctx)
    assert old is not None, f"certified enrolment {ctx.case.id} has no certificate"
    new = await issuance.issue(ctx)
    old.revoked_at = ctx.now
    old.superseded_by = new.id
    ctx.outcome["revoked_certificate"] = old.id


# -- retention ---------------------------------------------------------------------------
@hooks.effect("erase_learner")
async def erase_learner(ctx: TransitionContext) -> None:
    ctx.outcome["erasure"] = await erase_learner_if_done(ctx)

"""Training sessions: planned by a training coordinator, listed to the public while open for
registration; the rest (registration, delivery, cancellation) are the workflow's transitions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import CaseEngine, Principal
from iris_engine.cases.service import CaseService
from iris_engine.errors import FieldError, Forbidden, InvalidInput
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import Case, User
from iris_engine.training.models import Course, TrainingSession
from iris_engine.training.schemas import OpenSession, SessionCreate, SessionView

__all__ = ["SESSIONS_PATH", "SessionService", "open_session_view"]

WORKFLOW = "training_session"
SESSIONS_PATH = "/api/v1/training/sessions"
#: how many sessions the public list shows at most
OPEN_LIST_MAX = 200


def open_session_view(case: Case, session: TrainingSession, course: Course) -> OpenSession:
    return OpenSession(
        id=case.id or 0, course_key=course.key, course_title=course.title,
        cpd_hours=course.cpd_hours, format=course.format, starts_at=session.starts_at,
        ends_at=session.ends_at, venue=session.venue, language=session.language,
        seats_left=max(0, session.capacity - session.seats_taken),
        enrol_href=f"{SESSIONS_PATH}/{case.id}/enrolments")


#: one delivery of a course lasts an hour to a few days; a longer span is a typing error (a
#: year for a day), which would hold its enrolments open without end
LONGEST_SESSION = timedelta(days=31)


class SessionService(CaseService):
    workflow = WORKFLOW
    detail_model = TrainingSession
    no_access = "training sessions are for training coordinators and their trainers"

    def __init__(self, db: Database, engine: CaseEngine, settings: Settings) -> None:
        super().__init__(db, engine)
        self.settings = settings

    async def view(self, session: AsyncSession, case: Case, detail: TrainingSession | None, *,
                   full: bool) -> SessionView:
        detail = detail or await session.get(TrainingSession, case.id)
        assert detail is not None
        course = await session.get(Course, detail.course_id)
        assert course is not None
        return SessionView(
            id=case.id or 0, state=case.state, revision=case.revision, course_id=course.id or 0,
            course_key=course.key, course_title=course.title, starts_at=detail.starts_at,
            ends_at=detail.ends_at, venue=detail.venue, language=detail.language,
            capacity=detail.capacity, seats_taken=detail.seats_taken, trainer_id=detail.trainer_id)

    async def plan(self, principal: Principal, plan: SessionCreate) -> SessionView:
        """Plan a session of a course version, with its trainer (the case's assignee)."""
        if "training_coordinator" not in principal.roles:
            raise Forbidden("training coordinators plan sessions")
        starts, ends = _aware(plan.starts_at, "/starts_at"), _aware(plan.ends_at, "/ends_at")
        errors = []
        if starts <= self.engine.clock():
            errors.append(FieldError("/starts_at", "in the future: a session is planned before "
                                                   "it starts"))
        if ends <= starts:
            errors.append(FieldError("/ends_at", "after starts_at"))
        elif ends - starts > LONGEST_SESSION:
            errors.append(FieldError("/ends_at", f"within {LONGEST_SESSION.days} days of "
                                                 "starts_at (one delivery of a course)"))
        async with self.db.write() as session:
            if await session.get(Course, plan.course_id) is None:
                errors.append(FieldError("/course_id", "no such course version"))
            trainer = await session.get(User, plan.trainer_id)
            if trainer is None or not trainer.active or "trainer" not in trainer.role_set:
                errors.append(FieldError("/trainer_id", "not an active trainer"))
            if errors:
                raise InvalidInput("the session cannot be planned so", errors=errors)
            opened = await self.engine.open(
                session, WORKFLOW, organisation_id=None, principal=principal,
                role="training_coordinator", assignee_id=plan.trainer_id,
                data={"course_id": plan.course_id, "starts_at": starts.isoformat(),
                      "ends_at": ends.isoformat(), "capacity": plan.capacity},
                detail=lambda case: TrainingSession(
                    case_id=case.id or 0, course_id=plan.course_id, starts_at=starts, ends_at=ends,
                    venue=plan.venue, language=plan.language, capacity=plan.capacity,
                    trainer_id=plan.trainer_id))
            await session.flush()
            return await self.view(session, opened.case, opened.detail, full=True)

    async def open_for_registration(self, course_key: str | None, now: datetime) -> list[OpenSession]:
        """Sessions open for registration that have not started, soonest first."""
        async with self.db.read() as session:
            stmt = (select(Case, TrainingSession, Course)
                    .join(TrainingSession, col(TrainingSession.case_id) == col(Case.id))
                    .join(Course, col(Course.id) == col(TrainingSession.course_id))
                    .where(col(Case.workflow) == WORKFLOW, col(Case.state) == "registration_open",
                           col(TrainingSession.starts_at) > now)
                    .order_by(col(TrainingSession.starts_at), col(Case.id)).limit(OPEN_LIST_MAX))
            if course_key is not None:
                stmt = stmt.where(col(Course.key) == course_key)
            return [open_session_view(case, detail, course)
                    for case, detail, course in (await session.execute(stmt)).all()]


def _aware(moment: datetime, pointer: str) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInput("times carry their offset", errors=[
            FieldError(pointer, "an RFC 3339 time with its offset, e.g. 2027-03-01T09:00:00Z")])
    return moment

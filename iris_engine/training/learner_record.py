"""What a learner's link token opens: their enrolments and certificates, and cancelling an
enrolment of theirs. No account: the token (only its sha256 is kept) is the credential, and a
wrong one answers exactly as an unknown one does."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import CaseEngine
from iris_engine.errors import NotAuthenticated, NotFound
from iris_engine.store.db import Database
from iris_engine.store.models import Case
from iris_engine.training.enrolments import certificate_summaries, lock_session_of
from iris_engine.training.learners import LearnerBook, learner_principal
from iris_engine.training.models import Course, Enrolment, Learner, TrainingSession
from iris_engine.training.schemas import LearnerEnrolment, LearnerRecord
from iris_engine.training.sessions import open_session_view
from iris_engine.workflow import TransitionInput

__all__ = ["LearnerDesk"]


class LearnerDesk:
    def __init__(self, db: Database, engine: CaseEngine, learners: LearnerBook) -> None:
        self.db = db
        self.engine = engine
        self.learners = learners

    async def _learner(self, session: AsyncSession, token: str) -> Learner:
        learner = await self.learners.by_link_token(session, token)
        if learner is None:
            raise NotAuthenticated("no learner holds this link token (a newer one replaces it: use "
                               "the last one e-mailed to you)")
        return learner

    async def record(self, token: str) -> LearnerRecord:
        async with self.db.read() as session:
            learner = await self._learner(session, token)
            rows = await session.execute(
                select(Case, Enrolment, TrainingSession, Course)
                .join(Enrolment, col(Enrolment.case_id) == col(Case.id))
                .join(TrainingSession, col(TrainingSession.case_id) == col(Enrolment.session_case_id))
                .join(Course, col(Course.id) == col(TrainingSession.course_id))
                .where(col(Enrolment.learner_id) == learner.id).order_by(col(Case.id)))
            enrolments = []
            for case, enrolment, detail, course in rows.all():
                session_case = await session.get(Case, detail.case_id)
                assert session_case is not None
                enrolments.append(LearnerEnrolment(
                    id=case.id or 0, state=case.state, revision=case.revision,
                    session=open_session_view(session_case, detail, course),
                    minutes_present=enrolment.minutes_present, passed=enrolment.passed,
                    certificates=await certificate_summaries(session, case.id or 0)))
            return LearnerRecord(name=self.learners.name(learner), enrolments=enrolments)

    async def cancel(self, token: str, enrolment_id: int, expected_revision: int) -> LearnerRecord:
        """Cancel one of the learner's enrolments (a seat freed goes to the waitlist)."""
        async with self.db.write() as session:
            learner = await self._learner(session, token)
            owner = await session.scalar(select(col(Enrolment.learner_id)).where(
                col(Enrolment.case_id) == enrolment_id))
            if owner != learner.id:
                raise NotFound(f"no enrolment {enrolment_id} of yours")
            await lock_session_of(self.engine, session, enrolment_id)
            await self.engine.fire(session, "enrolment", enrolment_id, learner_principal(enrolment_id),
                                   TransitionInput("cancel", expected_revision,
                                                   reason_code="learner_cancelled"))
        return await self.record(token)

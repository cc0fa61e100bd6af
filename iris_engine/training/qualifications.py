"""Training's answer to the platform's ``Qualifications`` question (who holds a valid
certificate of a course; where to enrol in one), which accreditation asks without importing
training."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.clock import Clock
from iris_engine.qualifications import CourseOffer, Qualifications
from iris_engine.store.models import Case
from iris_engine.training.models import Certificate, Course, TrainingSession
from iris_engine.training.sessions import SESSIONS_PATH

__all__ = ["TrainingRecords"]


class TrainingRecords(Qualifications):
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def holders(self, session: AsyncSession, *, organisation_id: int,
                      course_keys: Sequence[str], on: date) -> int:
        return int(await session.scalar(
            select(func.count(func.distinct(col(Certificate.learner_id)))).where(
                col(Certificate.organisation_id) == organisation_id,
                col(Certificate.course_key).in_(list(course_keys)),
                col(Certificate.revoked_at).is_(None), col(Certificate.awarded_on) <= on,
                or_(col(Certificate.valid_until).is_(None), col(Certificate.valid_until) >= on),
            )) or 0)

    async def offers(self, session: AsyncSession, course_keys: Sequence[str]) -> list[CourseOffer]:
        found = []
        for key in course_keys:
            course = (await session.scalars(select(Course).where(col(Course.key) == key)
                                            .order_by(col(Course.version).desc()).limit(1))).first()
            if course is None:
                continue
            starts = await session.scalar(
                select(func.min(col(TrainingSession.starts_at)))
                .join(Case, col(Case.id) == col(TrainingSession.case_id))
                .join(Course, col(Course.id) == col(TrainingSession.course_id))
                .where(col(Course.key) == key, col(Case.state) == "registration_open",
                       col(TrainingSession.starts_at) > self.clock()))
            found.append(CourseOffer(course_key=key, title=course.title,
                                     enrol_href=f"{SESSIONS_PATH}/open?course={key}",
                                     next_session_starts=starts.date() if starts else None))
        return found

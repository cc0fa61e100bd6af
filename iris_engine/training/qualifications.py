"""Training's answer to the platform's ``Qualifications`` question (who holds a valid
certificate of a course; where to enrol in one), which accreditation's ``submit`` asks
(``prerequisite_training_held``) without importing training."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from urllib.parse import urlencode

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.clock import Clock
from iris_engine.qualifications import CourseOffer, Qualifications
from iris_engine.store.models import Case
from iris_engine.training.models import Certificate, Course, TrainingSession
from iris_engine.training.sessions import SESSIONS_PATH

__all__ = ["TrainingRecords", "enrol_href"]

#: the state of a ``training_session`` case that takes enrolments
_REGISTRATION_OPEN = "registration_open"


def enrol_href(course_key: str) -> str:
    """Where a person finds the sessions of ``course_key`` open for enrolment (public)."""
    return f"{SESSIONS_PATH}/open?{urlencode({'course': course_key})}"


class TrainingRecords(Qualifications):
    """Counts certificates as issued (``training_certificate``): each names its organisation,
    course key and validity, so one query on the organisation's index answers."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def holders(self, session: AsyncSession, *, organisation_id: int,
                      course_keys: Sequence[str], on: date) -> int:
        if not course_keys:
            return 0
        # distinct learners: a person certified twice (a reissue, a second course) counts once.
        # Not "awarded on or before the day": the guard asks about today, and no certificate is
        # awarded in the future; the demo, which walks applications through their past, relies
        # on a certificate awarded now counting then.
        return int(await session.scalar(
            select(func.count(func.distinct(col(Certificate.learner_id)))).where(
                col(Certificate.organisation_id) == organisation_id,
                col(Certificate.course_key).in_(list(course_keys)),
                col(Certificate.revoked_at).is_(None),
                or_(col(Certificate.valid_until).is_(None), col(Certificate.valid_until) >= on),
            )) or 0)

    async def offers(self, session: AsyncSession, course_keys: Sequence[str]) -> list[CourseOffer]:
        keys = list(dict.fromkeys(course_keys))
        if not keys:
            return []
        latest = (select(col(Course.key), func.max(col(Course.version)).label("version"))
                  .where(col(Course.key).in_(keys)).group_by(col(Course.key)).subquery())
        titles: dict[str, str] = {key: title for key, title in (await session.execute(
            select(col(Course.key), col(Course.title)).join(
                latest, (col(Course.key) == latest.c.key)
                & (col(Course.version) == latest.c.version)))).all()}
        # a session runs the version it was planned with: any version's certificate counts;
        # one that has started takes no more enrolments
        next_starts: dict[str, datetime] = {key: starts for key, starts in (await session.execute(
            select(col(Course.key), func.min(col(TrainingSession.starts_at)))
            .join(TrainingSession, col(TrainingSession.course_id) == col(Course.id))
            .join(Case, col(Case.id) == col(TrainingSession.case_id))
            .where(col(Course.key).in_(keys), col(Case.state) == _REGISTRATION_OPEN,
                   col(TrainingSession.starts_at) > self.clock())
            .group_by(col(Course.key)))).all()}
        offers = []
        for key in (k for k in keys if k in titles):
            starts = next_starts.get(key)
            offers.append(CourseOffer(course_key=key, title=titles[key], enrol_href=enrol_href(key),
                                      next_session_starts=starts.date() if starts else None))
        return offers

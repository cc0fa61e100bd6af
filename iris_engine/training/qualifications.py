"""What the training records say about an organisation's people, for the other domains: the
training domain's ``Qualifications`` (``iris_engine.qualifications``), which accreditation's
``submit`` asks whether the recruiter holds its prerequisite training."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sqlalchemy import func, or_, select
from sqlmodel import col

from iris_engine.qualifications import CourseOffer, Qualifications
from iris_engine.store.models import Case
from iris_engine.training.models import Certificate, Course, TrainingSession

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["OPEN_SESSIONS_PATH", "TrainingQualifications", "enrol_href"]

#: the public list of sessions open for registration (``?course=<key>`` filters it)
OPEN_SESSIONS_PATH = "/api/v1/training/sessions/open"
#: the state of a ``training_session`` case that takes enrolments
_REGISTRATION_OPEN = "registration_open"


def enrol_href(course_key: str) -> str:
    """Where a person finds the sessions of ``course_key`` they may enrol in."""
    return f"{OPEN_SESSIONS_PATH}?{urlencode({'course': course_key})}"


class TrainingQualifications(Qualifications):
    """Counts certificates as issued (``training_certificate``): a certificate names its
    organisation, course key and validity, so one query on the organisation's index answers."""

    async def holders(self, session: AsyncSession, *, organisation_id: int,
                      course_keys: Sequence[str], on: date) -> int:
        if not course_keys:
            return 0
        # distinct learners: a person certified twice (a reissue, a second course) counts once
        held = await session.scalar(
            select(func.count(func.distinct(col(Certificate.learner_id))))
            .where(col(Certificate.organisation_id) == organisation_id,
                   col(Certificate.course_key).in_(list(course_keys)),
                   col(Certificate.revoked_at).is_(None),
                   or_(col(Certificate.valid_until).is_(None), col(Certificate.valid_until) >= on)))
        return int(held or 0)

    async def offers(self, session: AsyncSession, course_keys: Sequence[str]) -> list[CourseOffer]:
        if not course_keys:
            return []
        keys = list(dict.fromkeys(course_keys))
        latest = (select(col(Course.key), func.max(col(Course.version)).label("version"))
                  .where(col(Course.key).in_(keys)).group_by(col(Course.key)).subquery())
        titles: dict[str, str] = {key: title for key, title in (await session.execute(
            select(col(Course.key), col(Course.title)).join(
                latest, (col(Course.key) == latest.c.key)
                & (col(Course.version) == latest.c.version)))).all()}
        # a session runs the version it was planned with: any version's certificate counts
        next_starts: dict[str, datetime] = {key: starts for key, starts in (await session.execute(
            select(col(Course.key), func.min(col(TrainingSession.starts_at)))
            .join(TrainingSession, col(TrainingSession.course_id) == col(Course.id))
            .join(Case, col(Case.id) == col(TrainingSession.case_id))
            .where(col(Course.key).in_(keys), col(Case.state) == _REGISTRATION_OPEN)
            .group_by(col(Course.key)))).all()}
        offers = []
        for key in (k for k in keys if k in titles):
            starts = next_starts.get(key)
            offers.append(CourseOffer(course_key=key, title=titles[key], enrol_href=enrol_href(key),
                                      next_session_starts=starts.date() if starts else None))
        return offers

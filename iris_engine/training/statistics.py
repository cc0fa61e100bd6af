"""Training statistics for coordinators: sessions held, learners by sector, attendance and pass
rates, CPD hours delivered; by course and over a date range. Counts only, never a name.

What each figure counts (read from the tables, so it holds whatever intermediate states the
enrolment workflow has):

- a session is *held* when its case is ``delivered`` or ``closed``; the range and the course
  apply to the sessions (their start day, UTC) and everything below is of held sessions;
- an enrolment is *confirmed* unless it is ``requested``, ``waitlisted`` or ``cancelled``;
- it is *attended* when minutes present were recorded (more than none) and it is no ``no_show``;
- it is *certified* when it was attended and a certificate was issued from it (revoked
  later or not);
- *learners by sector*: distinct learners with a confirmed enrolment, by their sector;
- *CPD hours delivered*: the sum over the certificates issued from those enrolments, a
  certificate replaced by a reissue (``superseded_by``) not counted twice.

An organisation's coordinator sees what concerns its own staff only (the learners its
organisation enrolled, and the sessions they were confirmed in). Small counts are shown as they
are, as grievance statistics show them: the figures carry no name, sector is the finest cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import and_, case, distinct, exists, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from iris_engine.errors import FieldError, Forbidden, InvalidInput
from iris_engine.store.models import Case
from iris_engine.training.courses import latest_versions
from iris_engine.training.models import Certificate, Course, Enrolment, Learner, TrainingSession

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases import Principal
    from iris_engine.store.db import Database

__all__ = [
    "HELD",
    "NOT_CONFIRMED",
    "CourseFigures",
    "SectorCount",
    "StatisticsQuery",
    "TrainingStatistics",
    "TrainingStatisticsView",
]

#: session states in which it was held
HELD = ("delivered", "closed")
#: enrolment states that never held a seat
NOT_CONFIRMED = ("requested", "waitlisted", "cancelled")
ALL_ORGANISATIONS = frozenset({"training_coordinator"})
OWN_ORGANISATION = frozenset({"organisation_coordinator"})


class SectorCount(msgspec.Struct):
    sector: str
    learners: int


class CourseFigures(msgspec.Struct):
    """The figures of one course (all its versions)."""

    course_key: str
    title: str
    sessions_held: int
    confirmed: int
    attended: int
    certified: int
    #: attended / confirmed; None when none was confirmed
    attendance_rate: float | None
    #: certified / attended; None when none attended
    pass_rate: float | None
    cpd_hours_delivered: float


class TrainingStatisticsView(msgspec.Struct):
    """Training delivered, over the range asked for (either end open when not given)."""

    from_: date | None = msgspec.field(name="from")
    to: date | None
    course: str | None
    #: the organisation whose staff the figures are about; None: every learner
    organisation_id: int | None
    sessions_held: int
    confirmed: int
    attended: int
    certified: int
    attendance_rate: float | None
    pass_rate: float | None
    cpd_hours_delivered: float
    learners_by_sector: list[SectorCount]
    by_course: list[CourseFigures]


@dataclass(frozen=True, slots=True)
class StatisticsQuery:
    course: str | None = None
    from_: date | None = None
    to: date | None = None
    #: a training coordinator may narrow to one organisation's staff
    organisation_id: int | None = None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class TrainingStatistics:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def figures(self, principal: Principal, query: StatisticsQuery) -> TrainingStatisticsView:
        """The figures the principal may see: every learner's for a training coordinator, its
        own organisation's staff for an organisation's coordinator."""
        organisation = self._scope(principal, query.organisation_id)
        if query.from_ and query.to and query.from_ > query.to:
            raise InvalidInput("the range ends before it starts", errors=[
                FieldError("/query/to", "must be on or after from")])
        async with self.db.read() as session:
            return await self._figures(session, query, organisation)

    @staticmethod
    def _scope(principal: Principal, asked: int | None) -> int | None:
        if principal.roles & ALL_ORGANISATIONS:
            return asked
        if principal.roles & OWN_ORGANISATION:
            if asked is not None and asked != principal.organisation_id:
                raise Forbidden("an organisation's coordinator sees its own organisation's "
                                "figures only")
            return principal.organisation_id
        raise Forbidden("training statistics are for training coordinators and organisations' "
                        "coordinators")

    async def _figures(self, session: AsyncSession, query: StatisticsQuery,
                       organisation: int | None) -> TrainingStatisticsView:
        tables = _Tables(query, organisation)
        counts = {key: (c, a, p) for key, c, a, p in (await session.execute(
            tables.enrolment_counts())).all()}
        sessions_held: dict[str, int] = {
            key: n for key, n in (await session.execute(tables.sessions_held())).all()}
        hours = {key: float(total) for key, total in (await session.execute(tables.hours())).all()}
        sectors = (await session.execute(tables.learners_by_sector())).all()
        keys = sorted(set(counts) | set(sessions_held))
        titles = {row.key: row.title for row in await latest_versions(session, keys)}
        by_course = []
        for key in keys:
            c, a, p = counts.get(key, (0, 0, 0))
            by_course.append(CourseFigures(
                course_key=key, title=titles.get(key, key), sessions_held=sessions_held.get(key, 0),
                confirmed=c, attended=a, certified=p, attendance_rate=_rate(a, c),
                pass_rate=_rate(p, a), cpd_hours_delivered=hours.get(key, 0.0)))
        confirmed, attended, certified = (sum(f.confirmed for f in by_course),
                                          sum(f.attended for f in by_course),
                                          sum(f.certified for f in by_course))
        return TrainingStatisticsView(
            from_=query.from_, to=query.to, course=query.course, organisation_id=organisation,
            sessions_held=sum(f.sessions_held for f in by_course), confirmed=confirmed,
            attended=attended, certified=certified, attendance_rate=_rate(attended, confirmed),
            pass_rate=_rate(certified, attended),
            cpd_hours_delivered=sum(f.cpd_hours_delivered for f in by_course),
            learners_by_sector=[SectorCount(sector, n) for sector, n in sectors],
            by_course=by_course)


def _count(condition: ColumnElement[bool]) -> Any:
    """How many rows meet ``condition`` (0 when none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class _Tables:
    """The statements behind the figures, each grouped by course key (or sector): held
    sessions in the range, their enrolments, of one organisation's staff when asked."""

    def __init__(self, query: StatisticsQuery, organisation: int | None) -> None:
        self.session_case = aliased(Case)
        self.enrolment_case = aliased(Case)
        self.organisation = organisation
        self.held: list[ColumnElement[bool]] = [col(self.session_case.state).in_(HELD)]
        if query.course:
            self.held.append(col(Course.key) == query.course)
        if query.from_:
            self.held.append(col(TrainingSession.starts_at) >= _start(query.from_))
        if query.to:
            self.held.append(col(TrainingSession.starts_at) < _start(query.to + timedelta(days=1)))
        state = col(self.enrolment_case.state)
        self.confirmed = state.notin_(NOT_CONFIRMED)
        self.attended = and_(self.confirmed, col(Enrolment.minutes_present) > 0, state != "no_show")
        self.certified = exists().where(col(Certificate.enrolment_case_id) == col(Enrolment.case_id))

    def _enrolments(self, *columns: Any) -> Any:
        """``columns`` over the enrolments of held sessions (of the organisation's staff)."""
        stmt = (select(*columns).select_from(Enrolment)
                .join(self.enrolment_case, col(self.enrolment_case.id) == col(Enrolment.case_id))
                .join(TrainingSession, col(TrainingSession.case_id) == col(Enrolment.session_case_id))
                .join(self.session_case, col(self.session_case.id) == col(TrainingSession.case_id))
                .join(Course, col(Course.id) == col(TrainingSession.course_id))
                .join(Learner, col(Learner.id) == col(Enrolment.learner_id))
                .where(*self.held))
        if self.organisation is not None:
            stmt = stmt.where(col(Learner.organisation_id) == self.organisation)
        return stmt

    def enrolment_counts(self) -> Any:
        return self._enrolments(
            col(Course.key), _count(self.confirmed), _count(self.attended),
            _count(and_(self.attended, self.certified)),
        ).group_by(col(Course.key))

    def sessions_held(self) -> Any:
        sessions = func.count(distinct(col(TrainingSession.case_id)))
        if self.organisation is not None:  # the sessions its staff were confirmed in
            return self._enrolments(col(Course.key), sessions).where(self.confirmed).group_by(
                col(Course.key))
        return (select(col(Course.key), sessions).select_from(TrainingSession)
                .join(self.session_case, col(self.session_case.id) == col(TrainingSession.case_id))
                .join(Course, col(Course.id) == col(TrainingSession.course_id))
                .where(*self.held).group_by(col(Course.key)))

    def learners_by_sector(self) -> Any:
        return self._enrolments(col(Learner.sector), func.count(distinct(col(Learner.id)))).where(
            self.confirmed).group_by(col(Learner.sector)).order_by(col(Learner.sector))

    def hours(self) -> Any:
        """CPD hours of the certificates issued, a reissue's predecessor left out."""
        return self._enrolments(col(Course.key), func.coalesce(func.sum(col(Certificate.cpd_hours)), 0)
                                ).join(Certificate, col(Certificate.enrolment_case_id)
                                       == col(Enrolment.case_id)).where(
            self.confirmed, col(Certificate.superseded_by).is_(None)).group_by(col(Course.key))

"""Return statistics without identities: returns by country and stage, services delivered and
their cost, monitoring outcomes and re-trafficking concerns, time from enquiry to departure,
and how cases ended early (withdrawn, not advised, not eligible) by reason.

A country with one return points at a person, so every count of people or cases between 1 and
the workflow's ``statistics_smallest_count`` less one is shown as ``"<N"`` (N the setting;
DEFAULT 5), and a figure computed from fewer cases than that (a cost total, a median) is
``null``. A total is ``null`` as soon as one of the parts shown beside it is hidden: the total
minus the parts shown would give the hidden one back (a country's returns beside its stages,
all returns beside every country's stages, reports beside their outcomes, endings beside their
reasons). Column totals (all countries by stage) are not given for the same reason. What this
does not stop: combining different figures of one answer, or answers over different ranges,
narrows a hidden count; the figures are meant to leave the team (to funders, in reports) while
those who may ask for them already reach the cases themselves.

What the range means: ``from``/``to`` select cases by the day of their enquiry (UTC), so each
figure is about the returns that started in it; ``country`` is the country of return.
"""

from __future__ import annotations

import statistics as stats
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import distinct, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from iris_engine.errors import ConfigurationError, FieldError, Forbidden, InvalidInput
from iris_engine.returns.models import MonitoringReport, ReturnCase, ReturnService
from iris_engine.store.models import Case, CaseEvent

if TYPE_CHECKING:
    from iris_engine.cases import CaseEngine, Principal
    from iris_engine.store.db import Database

__all__ = [
    "ENDINGS",
    "READERS",
    "Count",
    "CountryFigures",
    "DueFigures",
    "Ending",
    "ReturnStatistics",
    "ReturnStatisticsQuery",
    "ReturnStatisticsView",
    "ServiceFigures",
    "TravelTime",
    "smallest_count",
    "suppressed",
    "total",
]

#: who reads return statistics: those who run returns. Partners and referrers see their own
#: cases, not the scheme's; scheme managers and admins have no part in returns.
READERS = frozenset({"return_officer", "return_supervisor"})
#: the events that end a case before departure, whose reason codes are counted
ENDINGS = {"withdraw": "withdrawn", "advise_against": "not_advised",
           "refuse_eligibility": "not_eligible"}
SETTING = "statistics_smallest_count"

#: a count as shown: the number, or ``"<N"`` when it is between 1 and N - 1
Count = int | str


class CountryFigures(msgspec.Struct):
    """Returns to one country: how many, and in which stage (the case's state) they are now."""

    country: str
    #: null when a stage's count is hidden
    returns: Count | None
    by_stage: dict[str, Count]


class ServiceFigures(msgspec.Struct):
    """One kind of service across the plans: how many were planned, delivered, cancelled, for
    how many cases, and their cost (in ``currency``; null when fewer cases than the threshold)."""

    kind: str
    currency: str
    cases: Count
    services: Count
    delivered: Count
    cancelled: Count
    planned_cost: str | None
    actual_cost: str | None


class DueFigures(msgspec.Struct):
    """The monitoring reports filed for one due date (first: 3 months, second: 6, third: 12)."""

    due: str
    #: null when one of the counts below is hidden
    reports: Count | None
    housing: dict[str, Count]
    income: dict[str, Count]
    wellbeing: dict[str, Count]
    #: reports that raise a concern of re-trafficking, and those that do not
    retrafficking_concern: dict[str, Count]


class TravelTime(msgspec.Struct):
    """Days from the enquiry to departure, over the cases that departed."""

    departed: Count
    #: null when fewer departed than the threshold
    median_days: float | None


class Ending(msgspec.Struct):
    """Cases that ended before departure in one way (``withdrawn``, ``not_advised``,
    ``not_eligible``), by the reason code recorded."""

    ending: str
    #: null when one reason's count is hidden
    cases: Count | None
    by_reason: dict[str, Count]


class ReturnStatisticsView(msgspec.Struct):
    """Return figures over the range asked for (either end open when not given); never a name,
    a reference or a case id, and small counts suppressed."""

    from_: date | None = msgspec.field(name="from")
    to: date | None
    country: str | None
    #: counts from 1 to this less one are shown as "<this"
    smallest_count: int
    #: every return in the range; null when one country's stage count is hidden
    returns: Count | None
    by_country: list[CountryFigures]
    services: list[ServiceFigures]
    monitoring: list[DueFigures]
    enquiry_to_departure: TravelTime
    endings: list[Ending]
    #: safety deadlines missed, by reason code (arrival unconfirmed, monitoring overdue)
    escalations: dict[str, Count]


@dataclass(frozen=True, slots=True)
class ReturnStatisticsQuery:
    from_: date | None = None
    to: date | None = None
    #: ISO 3166-1 alpha-2: the country of return
    country: str | None = None


def smallest_count(settings: Mapping[str, Any]) -> int:
    """The workflow's threshold; a value that is no whole number from 2 up is a definition
    error, not a reason to publish small counts."""
    value = settings.get(SETTING, 5)
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise ConfigurationError(f"workflow return: settings.{SETTING} must be a whole number "
                                 f"of at least 2, not {value!r}")
    return value


def _shown(n: int, threshold: int) -> Count:
    return f"<{threshold}" if 0 < n < threshold else n


def suppressed(counts: Mapping[str, int], threshold: int) -> dict[str, Count]:
    """``counts`` as shown: those from 1 to ``threshold`` - 1 as ``"<threshold"``."""
    return {k: _shown(n, threshold) for k, n in counts.items()}


def total(counts: Iterable[int], threshold: int) -> Count | None:
    """The sum of ``counts`` shown beside them: ``None`` when one of them is hidden."""
    parts = list(counts)
    if any(0 < n < threshold for n in parts):
        return None
    return sum(parts)


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ReturnStatistics:
    def __init__(self, db: Database, engine: CaseEngine) -> None:
        self.db = db
        self.engine = engine

    async def figures(self, principal: Principal, query: ReturnStatisticsQuery
                      ) -> ReturnStatisticsView:
        """The figures, for return officers and supervisors only."""
        if not principal.roles & READERS:
            raise Forbidden("return statistics are for return officers and supervisors")
        if query.from_ and query.to and query.from_ > query.to:
            raise InvalidInput("the range ends before it starts", errors=[
                FieldError("/query/to", "must be on or after from")])
        threshold = smallest_count(self.engine.catalog.machine("return").spec.settings)
        where = _Cases(query).where
        async with self.db.read() as session:
            stages = (await session.execute(
                select(col(ReturnCase.return_country), col(Case.state), func.count())
                .select_from(ReturnCase).join(Case, col(Case.id) == col(ReturnCase.case_id))
                .where(*where).group_by(col(ReturnCase.return_country), col(Case.state)))).all()
            services = (await session.execute(
                select(col(ReturnService.kind), col(ReturnService.currency),
                       col(ReturnService.status), func.count(),
                       func.coalesce(func.sum(col(ReturnService.planned_cost_minor)), 0),
                       func.coalesce(func.sum(col(ReturnService.actual_cost_minor)), 0))
                .select_from(ReturnService)
                .join(ReturnCase, col(ReturnCase.case_id) == col(ReturnService.case_id))
                .where(*where).group_by(col(ReturnService.kind), col(ReturnService.currency),
                                        col(ReturnService.status)))).all()
            cases_per_kind = dict(((kind, currency), n) for kind, currency, n in (
                await session.execute(
                    select(col(ReturnService.kind), col(ReturnService.currency),
                           func.count(distinct(col(ReturnService.case_id))))
                    .select_from(ReturnService)
                    .join(ReturnCase, col(ReturnCase.case_id) == col(ReturnService.case_id))
                    .where(*where).group_by(col(ReturnService.kind),
                                            col(ReturnService.currency)))).all())
            reports = (await session.execute(
                select(col(MonitoringReport.due), col(MonitoringReport.housing),
                       col(MonitoringReport.income), col(MonitoringReport.wellbeing),
                       col(MonitoringReport.retrafficking_concern))
                .select_from(MonitoringReport)
                .join(ReturnCase, col(ReturnCase.case_id) == col(MonitoringReport.case_id))
                .where(*where))).all()
            journeys = (await session.execute(
                select(col(ReturnCase.enquiry_at), col(ReturnCase.departed_at))
                .where(*where, col(ReturnCase.departed_at).is_not(None)))).all()
            events = (await session.execute(
                select(col(CaseEvent.event), col(CaseEvent.reason_code), func.count())
                .select_from(CaseEvent)
                .join(ReturnCase, col(ReturnCase.case_id) == col(CaseEvent.case_id))
                .where(*where, col(CaseEvent.event).in_([*ENDINGS, "escalate"]))
                .group_by(col(CaseEvent.event), col(CaseEvent.reason_code)))).all()
        by_country = _by_country(stages, threshold)
        return ReturnStatisticsView(
            from_=query.from_, to=query.to, country=query.country, smallest_count=threshold,
            returns=total((n for _c, _s, n in stages), threshold),
            by_country=by_country,
            services=_services(services, cases_per_kind, threshold),
            monitoring=_monitoring(reports, threshold),
            enquiry_to_departure=_travel_time(journeys, threshold),
            endings=_endings(events, threshold),
            escalations=suppressed(_tally((r or "other", n) for e, r, n in events
                                          if e == "escalate"), threshold))


class _Cases:
    """The return cases a query is about (``where`` applies to ``ReturnCase``)."""

    def __init__(self, query: ReturnStatisticsQuery) -> None:
        self.where: list[ColumnElement[bool]] = []
        if query.from_:
            self.where.append(col(ReturnCase.enquiry_at) >= _start(query.from_))
        if query.to and query.to < date.max:  # the last day of the calendar bounds nothing
            self.where.append(col(ReturnCase.enquiry_at) < _start(query.to + timedelta(days=1)))
        if query.country:
            self.where.append(col(ReturnCase.return_country) == query.country)


def _tally(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for key, n in pairs:
        out[key] += n
    return dict(sorted(out.items()))


def _by_country(rows: Iterable[Any], threshold: int) -> list[CountryFigures]:
    stages: dict[str, dict[str, int]] = defaultdict(dict)
    for country, state, n in rows:
        stages[country][state] = n
    return [CountryFigures(country=c, returns=total(stages[c].values(), threshold),
                           by_stage=suppressed(dict(sorted(stages[c].items())), threshold))
            for c in sorted(stages)]


def _services(rows: Iterable[Any], cases: Mapping[tuple[str, str], int],
              threshold: int) -> list[ServiceFigures]:
    kinds: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(dict)
    for kind, currency, status, n, planned, actual in rows:
        kinds[(kind, currency)][status] = [n, int(planned), int(actual)]
    out = []
    for key in sorted(kinds):
        by_status = kinds[key]
        few = cases.get(key, 0) < threshold
        planned = sum(v[1] for s, v in by_status.items() if s != "cancelled")
        actual = sum(v[2] for v in by_status.values())

        def shown(n: int, hide: bool = few) -> Count:
            return f"<{threshold}" if hide and n > 0 else _shown(n, threshold)

        out.append(ServiceFigures(
            kind=key[0], currency=key[1], cases=_shown(cases.get(key, 0), threshold),
            services=shown(sum(v[0] for v in by_status.values())),
            delivered=shown(by_status.get("delivered", [0])[0]),
            cancelled=shown(by_status.get("cancelled", [0])[0]),
            planned_cost=None if few else _money(planned),
            actual_cost=None if few else _money(actual)))
    return out


def _monitoring(rows: Iterable[Any], threshold: int) -> list[DueFigures]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row)
    out = []
    for due in ("first", "second", "third"):
        filed = groups.get(due, [])
        if not filed:
            continue

        breakdowns = [_tally((str(r[i]), 1) for r in filed) for i in (1, 2, 3)]
        concern = sum(1 for r in filed if r[4])
        breakdowns.append({"concern": concern, "no_concern": len(filed) - concern})
        hidden = any(total(b.values(), threshold) is None for b in breakdowns)
        housing, income, wellbeing, concerns = (suppressed(b, threshold) for b in breakdowns)
        out.append(DueFigures(
            due=due, reports=None if hidden else len(filed), housing=housing, income=income,
            wellbeing=wellbeing, retrafficking_concern=concerns))
    return out


def _travel_time(rows: Iterable[Any], threshold: int) -> TravelTime:
    days = [(_aware(departed) - _aware(enquiry)).total_seconds() / 86400
            for enquiry, departed in rows]
    return TravelTime(departed=_shown(len(days), threshold),
                      median_days=round(stats.median(days), 1) if len(days) >= threshold
                      else None)


def _endings(rows: Iterable[Any], threshold: int) -> list[Ending]:
    reasons: dict[str, dict[str, int]] = defaultdict(dict)
    for event, reason, n in rows:
        if event in ENDINGS:
            reasons[ENDINGS[event]][reason or "other"] = (
                reasons[ENDINGS[event]].get(reason or "other", 0) + n)
    return [Ending(ending=e, cases=total(reasons[e].values(), threshold),
                   by_reason=suppressed(dict(sorted(reasons[e].items())), threshold))
            for e in ENDINGS.values() if e in reasons]

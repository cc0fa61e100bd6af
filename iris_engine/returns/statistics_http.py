"""HTTP for return statistics (``returns.statistics``): one read for those who run returns."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.errors import FieldError, InvalidInput
from iris_engine.returns.statistics import (
    ReturnStatistics,
    ReturnStatisticsQuery,
    ReturnStatisticsView,
)
from iris_engine.web.problems import problem_responses

__all__ = ["return_statistics"]

#: a calendar day as written in a query
_DAY = r"^[1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} is no calendar day", errors=[
            FieldError(f"/query/{name}", "must be a day that exists, YYYY-MM-DD")]) from None


@get("/api/v1/returns/statistics", operation_id="returnStatistics",
     tags=["returns: statistics"], security=[{"BearerToken": []}],
     responses=problem_responses(401, 403, 422))
async def return_statistics(
    principal: NamedDependency[Principal],
    return_statistics: NamedDependency[ReturnStatistics],
    from_: Annotated[str | None, QueryParameter(
        name="from", min_length=10, max_length=10, pattern=_DAY,
        description="First day of the range, YYYY-MM-DD: returns whose enquiry was on or "
                    "after it (UTC)")] = None,
    to: Annotated[str | None, QueryParameter(
        min_length=10, max_length=10, pattern=_DAY,
        description="Last day of the range, YYYY-MM-DD (UTC)")] = None,
    country: Annotated[str | None, QueryParameter(
        min_length=bounds.COUNTRY, max_length=bounds.COUNTRY, pattern=r"^[A-Z]{2}$",
        description="Returns to this country only (ISO 3166-1 alpha-2)")] = None,
) -> ReturnStatisticsView:
    """Returns by country and stage, services and their cost, monitoring outcomes and
    re-trafficking concerns, time from enquiry to departure, withdrawals and refusals by
    reason: for return officers and supervisors. Counts only, small ones shown as "<N" (the
    workflow's statistics_smallest_count), never a name or a reference."""
    return await return_statistics.figures(principal, ReturnStatisticsQuery(
        from_=_day(from_, "from"), to=_day(to, "to"), country=country))

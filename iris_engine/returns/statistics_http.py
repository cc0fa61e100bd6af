"""HTTP for return statistics (``returns.statistics``): one read for those who run returns."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.returns.statistics import (
    ReturnStatistics,
    ReturnStatisticsQuery,
    ReturnStatisticsView,
)
from iris_engine.web.problems import problem_responses

__all__ = ["return_statistics"]


@get("/api/v1/returns/statistics", operation_id="returnStatistics",
     tags=["returns: statistics"], security=[{"BearerToken": []}],
     responses=problem_responses(401, 403, 422))
async def return_statistics(
    principal: NamedDependency[Principal],
    return_statistics: NamedDependency[ReturnStatistics],
    from_: Annotated[date | None, QueryParameter(
        name="from", schema_extra={"maxLength": 10},
        description="First day of the range, YYYY-MM-DD: returns whose enquiry was on or "
                    "after it (UTC)")] = None,
    to: Annotated[date | None, QueryParameter(
        schema_extra={"maxLength": 10}, description="Last day of the range, YYYY-MM-DD (UTC)")] = None,
    country: Annotated[str | None, QueryParameter(
        min_length=bounds.COUNTRY, max_length=bounds.COUNTRY, pattern=r"^[A-Z]{2}$",
        description="Returns to this country only (ISO 3166-1 alpha-2)")] = None,
) -> ReturnStatisticsView:
    """Returns by country and stage, services and their cost, monitoring outcomes and
    re-trafficking concerns, time from enquiry to departure, withdrawals and refusals by
    reason: for return officers and supervisors. Counts only, small ones shown as "<N" (the
    workflow's statistics_smallest_count), never a name or a reference."""
    return await return_statistics.figures(principal, ReturnStatisticsQuery(
        from_=from_, to=to, country=country))

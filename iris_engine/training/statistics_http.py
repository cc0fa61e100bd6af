"""HTTP for training statistics (``training.statistics``): one read for coordinators."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.training.statistics import (
    StatisticsQuery,
    TrainingStatistics,
    TrainingStatisticsView,
)
from iris_engine.web.problems import problem_responses

__all__ = ["training_statistics"]


@get("/api/v1/training/statistics", operation_id="trainingStatistics",
     tags=["training: statistics"], security=[{"BearerToken": []}],
     responses=problem_responses(401, 403, 422))
async def training_statistics(
    principal: NamedDependency[Principal],
    training_statistics: NamedDependency[TrainingStatistics],
    course: Annotated[str | None, QueryParameter(
        min_length=1, max_length=bounds.NAME, pattern=bounds.NAME_PATTERN,
        description="A course key: that course's figures only")] = None,
    from_: Annotated[date | None, QueryParameter(
        name="from", schema_extra={"maxLength": 10},
        description="First day of the range, YYYY-MM-DD (sessions starting on it count), UTC")
    ] = None,
    to: Annotated[date | None, QueryParameter(
        schema_extra={"maxLength": 10}, description="Last day of the range, YYYY-MM-DD, UTC")] = None,
    organisation_id: Annotated[int | None, QueryParameter(
        ge=1, le=bounds.MAX_ID, description="One organisation's staff only (a training "
        "coordinator; an organisation's coordinator always sees its own)")] = None,
) -> TrainingStatisticsView:
    """Sessions held, learners by sector, attendance and pass rates, CPD hours delivered, by
    course: every learner's for a training coordinator, its own staff's for an organisation's
    coordinator. Counts only, never a name."""
    return await training_statistics.figures(principal, StatisticsQuery(
        course=course, from_=from_, to=to,
        organisation_id=organisation_id))

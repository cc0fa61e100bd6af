"""What the course catalogue and the statistics add to the training domain's declaration:
``DOMAIN = Domain(..., provides=lambda s: {..., **catalogue_services(s)}, routes=(...,
*CATALOGUE_ROUTES))``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iris_engine.training.courses import CourseCatalogue
from iris_engine.training.courses_http import (
    CourseController,
    course_schema_document,
    public_courses,
)
from iris_engine.training.statistics import TrainingStatistics
from iris_engine.training.statistics_http import training_statistics

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["CATALOGUE_ROUTES", "catalogue_services"]

#: the handlers: the public list first (a static path before the course keys)
CATALOGUE_ROUTES = (public_courses, course_schema_document, CourseController, training_statistics)


def catalogue_services(services: Services) -> dict[str, object]:
    """The services the handlers ask for, by their dependency names."""
    return {"course_catalogue": CourseCatalogue(services.db, services.clock),
            "training_statistics": TrainingStatistics(services.db)}

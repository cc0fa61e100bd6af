"""HTTP for the course catalogue: training coordinators write courses, they and trainers read
every version, and anyone reads the courses offered now. Each handler calls one method of
``CourseCatalogue`` (``training.courses``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.training.course_document import course_schema
from iris_engine.training.courses import (
    CourseCatalogue,
    CoursePublic,
    CourseSummary,
    CourseView,
)
from iris_engine.web.problems import problem_responses

__all__ = ["MAX_COURSE_BYTES", "CourseController", "course_schema_document", "public_courses"]

#: the largest course document taken: every string in the schema is bounded, and the largest
#: a valid course can be is under 10 KiB (a whole-body limit answers 413 before any parsing)
MAX_COURSE_BYTES = 64 * 1024

CourseKey = Annotated[str, PathParameter(
    min_length=1, max_length=bounds.NAME, pattern=bounds.NAME_PATTERN,
    description="The course's key, e.g. trafficking-awareness-frontline")]
#: a course document (``iris_engine/training/schemas/course.schema.json``)
CourseDocument = JSONBody[bounds.JsonObject]
_SCHEMA = ("The body is a course as the JSON Schema at GET /api/v1/training/course-schema "
           "describes it (examples: iris_engine/training/courses/*.json); CPD hours are derived "
           "from active_minutes (1 an hour, rounded down to the quarter hour), and a cpd_hours "
           "that disagrees is refused.")


class CourseController(Controller):
    """Courses as versioned data (training coordinators write; trainers read too)."""

    path = "/api/v1/training/courses"
    tags = ("training: courses",)
    security = ({"BearerToken": []},)

    @post("/", operation_id="addCourse", status_code=201, request_max_body_size=MAX_COURSE_BYTES,
          responses=problem_responses(401, 403, 409, 413, 422), description=_SCHEMA)
    async def add(self, data: CourseDocument, principal: NamedDependency[Principal],
                  course_catalogue: NamedDependency[CourseCatalogue]) -> CourseView:
        """Add a course as version 1 (a training coordinator)."""
        return await course_catalogue.add(principal, data)

    @get("/", operation_id="listCourses", responses=problem_responses(401, 403))
    async def index(self, principal: NamedDependency[Principal],
                    course_catalogue: NamedDependency[CourseCatalogue]) -> list[CourseSummary]:
        """The latest version of every course, retired ones included."""
        return await course_catalogue.latest(principal)

    @get("/{key:str}", operation_id="getCourse", responses=problem_responses(401, 403, 404, 422))
    async def show(self, key: CourseKey, principal: NamedDependency[Principal],
                   course_catalogue: NamedDependency[CourseCatalogue],
                   version: Annotated[int | None, QueryParameter(
                       ge=1, le=bounds.MAX_ID, description="Default: the latest")] = None,
                   ) -> CourseView:
        """One course, at its latest version or the one asked for."""
        return await course_catalogue.get(principal, key, version)

    @get("/{key:str}/versions", operation_id="listCourseVersions",
         responses=problem_responses(401, 403, 404))
    async def versions(self, key: CourseKey, principal: NamedDependency[Principal],
                       course_catalogue: NamedDependency[CourseCatalogue]) -> list[CourseSummary]:
        """Every version of a course, oldest first."""
        return await course_catalogue.versions(principal, key)

    @post("/{key:str}/versions", operation_id="reviseCourse", status_code=201,
          request_max_body_size=MAX_COURSE_BYTES,
          responses=problem_responses(401, 403, 404, 409, 413, 422), description=_SCHEMA)
    async def revise(self, key: CourseKey, data: CourseDocument,
                     principal: NamedDependency[Principal],
                     course_catalogue: NamedDependency[CourseCatalogue]) -> CourseView:
        """Revise a course: the document becomes its next version (sessions already planned
        keep the version they pinned). Its ``key`` may be left out."""
        return await course_catalogue.revise(principal, key, data)


@get("/api/v1/training/courses/public", operation_id="listPublicCourses",
     tags=["training: courses"], opt={"exclude_from_auth": True},
     cache_control=CacheControlHeader(public=True, max_age=60), responses=problem_responses())
async def public_courses(course_catalogue: NamedDependency[CourseCatalogue]) -> list[CoursePublic]:
    """The courses offered now: titles, topics, audiences and CPD hours (no personal data)."""
    return await course_catalogue.public()


@get("/api/v1/training/course-schema", operation_id="getCourseSchema",
     tags=["training: courses"], opt={"exclude_from_auth": True},
     media_type="application/schema+json",
     cache_control=CacheControlHeader(public=True, max_age=3600), responses=problem_responses())
async def course_schema_document() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) a course document is checked against."""
    return course_schema()

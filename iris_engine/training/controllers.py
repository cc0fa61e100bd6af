"""HTTP for sessions, enrolments and the learner's own record. Each handler parses, then calls
one service method; the generated case endpoints (list, get, transitions, history) are the
platform's."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody, QueryParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.cases.http import CaseId
from iris_engine.errors import FieldError, InvalidInput
from iris_engine.training.bulk import MAX_BYTES
from iris_engine.training.enrolling import Enrolling
from iris_engine.training.enrolments import EnrolmentService
from iris_engine.training.learner_record import LearnerDesk
from iris_engine.training.schemas import (
    BulkEnrolled,
    EnrolmentConfirm,
    EnrolmentConfirmed,
    EnrolmentRequested,
    EnrolmentView,
    LearnerRecord,
    NameCorrection,
    OpenSession,
    SelfEnrolment,
    SessionCreate,
    SessionView,
)
from iris_engine.training.sessions import SessionService
from iris_engine.web.openapi import RAW_BODY_OPT, RawBody
from iris_engine.web.problems import problem_responses

__all__ = ["EnrolmentCaseController", "LearnerController", "SessionCaseController"]

_PUBLIC = {"exclude_from_auth": True}
_BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]
LearnerToken = Annotated[str, HeaderParameter(
    name="X-Learner-Token", min_length=1, max_length=bounds.TOKEN, pattern=r"^[A-Za-z0-9_-]+$",
    description="The link token given when the enrolment was confirmed (and e-mailed)")]
CourseKey = Annotated[str | None, QueryParameter(
    name="course", max_length=bounds.NAME, pattern=bounds.NAME_PATTERN,
    description="Only sessions of this course (its key)")]
_STAFF_CSV = RawBody(
    media_type="text/csv", max_bytes=MAX_BYTES,
    description=f"UTF-8 CSV, at most {MAX_BYTES} bytes: a header line naming the columns name, "
                "email and sector, then one line per person. Every line is checked before anyone "
                "is enrolled; errors point at /line/<n>/<column> (n counts the file's lines from "
                "1, the header included).")


async def _bounded_body(request: Request[Any, Any, Any]) -> bytes:
    """The body, read no further than the bound (a huge upload is refused, not buffered)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise InvalidInput(f"the file is larger than {MAX_BYTES // 1024} KiB: split it",
                               errors=[FieldError("/", f"at most {MAX_BYTES} bytes")])
        chunks.append(chunk)
    return b"".join(chunks)


class SessionCaseController(Controller):
    """Beyond the generated case endpoints: planning, the public list, enrolling."""

    path = "/"  # mounted under the sessions' case path
    tags = ["training sessions"]

    @post("/", operation_id="planTrainingSession", status_code=201, security=_BEARER,
          responses=problem_responses(401, 403, 422))
    async def plan(self, data: JSONBody[SessionCreate], principal: NamedDependency[Principal],
                   training_sessions: NamedDependency[SessionService]) -> SessionView:
        """Plan a session of a course version with its trainer (training coordinators)."""
        return await training_sessions.plan(principal, data)

    @get("/open", operation_id="listOpenTrainingSessions", opt={**_PUBLIC, "rate_limit": "training-read"},
         responses=problem_responses(422, 429))
    async def open_sessions(self, training_sessions: NamedDependency[SessionService],
                            course: CourseKey = None) -> list[OpenSession]:
        """Sessions open for registration, soonest first (public; no one's name)."""
        return await training_sessions.open_for_registration(course, training_sessions.engine.clock())

    @post("/{case_id:int}/enrolments", operation_id="enrolInTrainingSession", status_code=202,
          opt={**_PUBLIC, "rate_limit": "training-enrolment"},
          responses=problem_responses(404, 409, 422, 429))
    async def self_enrol(self, case_id: CaseId, data: JSONBody[SelfEnrolment],
                         training_enrolling: NamedDependency[Enrolling]) -> EnrolmentRequested:
        """Ask to enrol (no account): a token to confirm is e-mailed to the address given."""
        return await training_enrolling.self_enrol(case_id, data)

    @post("/{case_id:int}/enrolments/bulk", operation_id="enrolStaffInTrainingSession",
          status_code=201, security=_BEARER, opt={RAW_BODY_OPT: _STAFF_CSV},
          responses=problem_responses(401, 403, 404, 409, 422))
    async def enrol_staff(self, case_id: CaseId, request: Request[Any, Any, Any],
                          principal: NamedDependency[Principal],
                          training_enrolling: NamedDependency[Enrolling]) -> BulkEnrolled:
        """Enrol the organisation's staff from a CSV (organisation coordinators): all or none."""
        return await training_enrolling.enrol_staff(principal, case_id, await _bounded_body(request))


class EnrolmentCaseController(Controller):
    path = "/"  # mounted under the enrolments' case path
    tags = ["training enrolments"]

    @post("/confirm", operation_id="confirmEnrolment", status_code=200,
          opt={**_PUBLIC, "rate_limit": "training-enrolment"},
          responses=problem_responses(404, 422, 429))
    async def confirm(self, data: JSONBody[EnrolmentConfirm],
                      training_enrolling: NamedDependency[Enrolling]) -> EnrolmentConfirmed:
        """Confirm an enrolment with the e-mailed token: a seat, or a place on the waitlist.
        The answer holds the learner's link token, shown once (and e-mailed)."""
        return await training_enrolling.confirm(data.token)

    @post("/{case_id:int}/name-correction", operation_id="correctLearnerName", status_code=200,
          security=_BEARER, responses=problem_responses(401, 403, 404, 409, 422))
    async def correct_name(self, case_id: CaseId, data: JSONBody[NameCorrection],
                           principal: NamedDependency[Principal],
                           enrolments: NamedDependency[EnrolmentService]) -> EnrolmentView:
        """Correct the learner's name and reissue the certificate (training coordinators)."""
        return await enrolments.correct_name(principal, case_id, data)


class LearnerController(Controller):
    """The learner's own record, opened by their link token (no account)."""

    path = "/api/v1/training/me"
    tags = ["training (learners)"]
    opt = {**_PUBLIC, "rate_limit": "training-read"}

    @get("/", operation_id="getLearnerRecord", responses=problem_responses(401, 422, 429))
    async def record(self, token: LearnerToken,
                     training_learners: NamedDependency[LearnerDesk]) -> LearnerRecord:
        """Your enrolments and certificates."""
        return await training_learners.record(token)

    @post("/enrolments/{case_id:int}/cancel", operation_id="cancelMyEnrolment", status_code=200,
          responses=problem_responses(401, 404, 409, 422, 429))
    async def cancel(self, case_id: CaseId, token: LearnerToken,
                     revision: Annotated[int, QueryParameter(ge=0, le=bounds.MAX_ID,
                                                             description="The enrolment's revision")],
                     training_learners: NamedDependency[LearnerDesk]) -> LearnerRecord:
        """Cancel one of your enrolments (your seat goes to the first on the waitlist)."""
        return await training_learners.cancel(token, case_id, revision)

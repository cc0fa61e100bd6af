"""One error root. Every subclass carries what a person needs to act; the web layer turns
them into ``application/problem+json`` in one place (``iris_engine.web.problems``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "ApplicationError",
    "ConfigurationError",
    "Conflict",
    "EventNotAllowed",
    "FieldError",
    "Forbidden",
    "GuardFailed",
    "InvalidInput",
    "MalformedRequest",
    "NotAuthenticated",
    "NotFound",
    "OutcomeUnknown",
    "Refusal",
    "StaleRevision",
    "TooManyAttempts",
    "UnsupportedMediaType",
    "WorkflowDefinitionError",
    "pointer_segment",
]


def pointer_segment(segment: object) -> str:
    """One reference token of a JSON pointer, escaped (RFC 6901: ``~`` and ``/``)."""
    return str(segment).replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of the input, located by a JSON pointer (RFC 6901)."""

    pointer: str
    message: str
    principle: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pointer": self.pointer, "message": self.message}
        if self.principle is not None:
            out["principle"] = self.principle
        return out


class ApplicationError(Exception):
    """Root of every error this application raises on purpose."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    slug: ClassVar[str] = "internal-error"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None,
                 extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}
        self.headers = headers or {}


class ConfigurationError(ApplicationError):
    title = "Configuration error"
    slug = "configuration-error"


class WorkflowDefinitionError(ApplicationError):
    """A workflow file is malformed; names the file and the key path."""

    title = "Invalid workflow definition"
    slug = "invalid-workflow"

    def __init__(self, file: str, key_path: str, message: str) -> None:
        super().__init__(f"{file}: at {key_path or '(top)'}: {message}")
        self.file = file
        self.key_path = key_path
        self.message = message


class MalformedRequest(ApplicationError):
    """The request cannot be read at all (e.g. a body nested beyond any reason)."""

    status = 400
    title = "Bad request"
    slug = "bad-request"


class UnsupportedMediaType(ApplicationError):
    """A body in a format the endpoint does not take (it takes JSON)."""

    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class NotAuthenticated(ApplicationError):
    status = 401
    title = "Not authenticated"
    slug = "not-authenticated"


class Forbidden(ApplicationError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(ApplicationError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(ApplicationError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class StaleRevision(Conflict):
    title = "Stale revision"
    slug = "stale-revision"


class EventNotAllowed(Conflict):
    title = "Event not allowed in this state"
    slug = "event-not-allowed"


class TooManyAttempts(ApplicationError):
    """Too many failed attempts; ``Retry-After`` says when to try again."""

    status = 429
    title = "Too many attempts"
    slug = "too-many-attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after},
                         headers={"Retry-After": str(retry_after)})


class OutcomeUnknown(ApplicationError):
    """The connection to the database was lost while a transaction was being committed: the
    server may have committed it or not, and nothing here can tell which. Not "nothing was
    saved" (a request sent again might then be saved twice), not "saved" either."""

    status = 503
    title = "Outcome unknown"
    slug = "outcome-unknown"


class InvalidInput(ApplicationError):
    status = 422
    title = "Invalid input"
    slug = "invalid-input"


class GuardFailed(ApplicationError):
    status = 422
    title = "A condition for this transition is not met"
    slug = "guard-failed"


class Refusal(ApplicationError):
    """Raised by a guard whose condition is not met: a sentence saying what is missing, and
    field errors when the event's data is at fault. The engine collects every guard's refusal
    into one ``GuardFailed`` (or lists them as what blocks an event)."""

    status = 422
    title = "A condition for this transition is not met"
    slug = "guard-failed"

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message, errors=errors)
        self.message = message

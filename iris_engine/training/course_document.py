"""A course as data: checked against its JSON Schema (``schemas/course.schema.json``, compiled
once), with the rules a schema cannot state (active minutes within the duration, CPD hours
derived, never taken from the client). Pure: no HTTP, no SQL.

CPD hours: 1 hour per hour of active learning (DOMAIN.md), rounded DOWN to the quarter hour,
so a certificate never claims learning that was not timetabled: 190 active minutes are 3.0
hours, 195 are 3.25.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import isodate
from jsonschema import Draft202012Validator, ValidationError

from iris_engine.documents import explain, pointer_of
from iris_engine.errors import FieldError, InvalidInput

__all__ = [
    "AUDIENCES",
    "RESERVED_KEYS",
    "SCHEMA_FILE",
    "TOPICS",
    "CourseFacts",
    "check_course",
    "course_schema",
    "cpd_hours",
    "topic_labels",
    "valid_until",
]

SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "course.schema.json"
#: the most errors one refusal lists (a hostile document could otherwise make thousands)
_MAX_ERRORS = 50
#: keys a course may not take: the paths under /api/v1/training/courses that are no course
RESERVED_KEYS = frozenset({"public"})


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


def course_schema() -> dict[str, Any]:
    """The course JSON Schema, as published (a copy: callers may not change the one in use)."""
    copied: dict[str, Any] = json.loads(json.dumps(_schema()))
    return copied


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _labels(definition: str) -> dict[str, str]:
    return {choice["const"]: choice["title"] for choice in _schema()["$defs"][definition]["oneOf"]}


#: the core topics of DOMAIN.md, code -> label (from the schema: one list)
TOPICS: dict[str, str] = _labels("topic")
#: who a course is for, code -> label
AUDIENCES: dict[str, str] = _labels("audience")


def cpd_hours(active_minutes: int) -> float:
    """CPD hours for so many minutes of active learning: 1 an hour, down to the quarter hour."""
    return (active_minutes // 15) / 4


def topic_labels(topics: list[str], other_topics: list[str] | None = None) -> list[str]:
    """What a certificate prints: the core topics' labels, then the other topics as written."""
    return [TOPICS.get(code, code) for code in topics] + list(other_topics or ())


def valid_until(awarded_on: date, validity: str | None) -> date | None:
    """The last day a certificate awarded on ``awarded_on`` counts (None: for good): the day
    the validity period after the award ends (awarded 2026-03-01, P3Y: until 2029-03-01)."""
    if validity is None:
        return None
    end: date = awarded_on + isodate.parse_duration(validity)
    return end


@dataclass(frozen=True, slots=True)
class CourseFacts:
    """A checked course: what the table's columns hold, and the document as stored (defaults
    filled in, CPD hours derived)."""

    key: str
    title: str
    topics: list[str]
    other_topics: list[str]
    audiences: list[str]
    format: str
    duration_minutes: int
    active_minutes: int
    cpd_hours: float
    attendance_threshold: int
    pass_mark: int | None
    language: str
    accreditation_prerequisite: bool
    certificate_validity: str | None
    active: bool
    document: dict[str, Any]


def _words(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    choices = schema.get("oneOf")
    if error.validator == "oneOf" and choices and all("const" in c for c in choices):
        return "must be one of: " + ", ".join(c["const"] for c in choices) + "."
    if error.validator == "pattern":  # the value is not echoed, nor the expression
        return "does not have the expected form. " + str(schema.get("description", ""))
    return explain(error)


def _located(error: ValidationError, base: str) -> list[FieldError]:
    """The error at the member it is about: a missing or unknown member's own pointer, not
    its parent's (so every error of a document sent as a whole body has a pointer)."""
    at = base + pointer_of(error.absolute_path)
    if error.validator == "required":
        name = error.message.split("'")[1]
        return [FieldError(f"{at}/{pointer_of([name])[1:]}", explain(error))]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return [FieldError(at + pointer_of([name]), "is not a member of a course: remove it or "
                           "check its spelling.") for name in error.instance if name not in known]
    return [FieldError(at, _words(error))]


def _schema_errors(document: Any, base: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for error in _validator().iter_errors(document):
        errors += _located(error, base)
        if len(errors) >= _MAX_ERRORS:
            break
    # a problem with the whole document (not an object) is at the root: "/" as msgspec says
    return sorted((FieldError(e.pointer or "/", e.message) for e in errors[:_MAX_ERRORS]),
                  key=lambda e: (e.pointer, e.message))


def _rule_errors(doc: dict[str, Any], base: str) -> list[FieldError]:
    """What the schema cannot say: relations between fields."""
    errors = []
    if doc["key"] in RESERVED_KEYS:
        errors.append(FieldError(f"{base}/key", f"{doc['key']!r} is reserved; choose another key."))
    if doc["active_minutes"] > doc["duration_minutes"]:
        errors.append(FieldError(f"{base}/active_minutes", f"must be at most duration_minutes "
                                 f"({doc['duration_minutes']}): active learning excludes breaks."))
    derived = cpd_hours(doc["active_minutes"])
    if "cpd_hours" in doc and doc["cpd_hours"] != derived:
        errors.append(FieldError(f"{base}/cpd_hours", f"is derived from active_minutes: "
                                 f"{doc['active_minutes']} minutes give {derived:g} hours (1 an "
                                 f"hour, rounded down to the quarter hour); leave it out or "
                                 f"send {derived:g}."))
    if derived <= 0:
        errors.append(FieldError(f"{base}/active_minutes", "gives no CPD hours: at least 15 "
                                 "minutes of active learning are needed."))
    validity = doc.get("certificate_validity")
    if validity is not None and isodate.parse_duration(validity) == isodate.parse_duration("P0D"):
        errors.append(FieldError(f"{base}/certificate_validity", "must be longer than nothing; "
                                 "leave it out for certificates valid for good."))
    return errors


def check_course(document: Any, *, base_pointer: str = "") -> CourseFacts:
    """The course in ``document``, checked; raises ``InvalidInput`` listing every problem,
    each at its JSON pointer (prefixed with ``base_pointer``)."""
    errors = _schema_errors(document, base_pointer)
    if not errors:
        errors = _rule_errors(document, base_pointer)
    if errors:
        raise InvalidInput("the course does not meet its schema: see errors", errors=errors)
    doc = dict(document)
    for name in ("duration_minutes", "active_minutes"):  # JSON Schema's integer takes 60.0
        doc[name] = int(doc[name])
    rules: dict[str, Any] = {
        "attendance_threshold_percent": int(doc["pass_rules"]["attendance_threshold_percent"]),
        **({"knowledge_check": {"pass_mark_percent": int(
            doc["pass_rules"]["knowledge_check"]["pass_mark_percent"])}}
           if "knowledge_check" in doc["pass_rules"] else {})}
    doc["pass_rules"] = rules
    doc["cpd_hours"] = cpd_hours(doc["active_minutes"])
    doc.setdefault("other_topics", [])
    doc.setdefault("accreditation_prerequisite", False)
    doc.setdefault("active", True)
    check = rules.get("knowledge_check")
    return CourseFacts(
        key=doc["key"], title=doc["title"].strip(), topics=list(doc["topics"]),
        other_topics=list(doc["other_topics"]), audiences=list(doc["audiences"]),
        format=doc["format"], duration_minutes=doc["duration_minutes"],
        active_minutes=doc["active_minutes"], cpd_hours=doc["cpd_hours"],
        attendance_threshold=rules["attendance_threshold_percent"],
        pass_mark=check["pass_mark_percent"] if check else None, language=doc["language"],
        accreditation_prerequisite=doc["accreditation_prerequisite"],
        certificate_validity=doc.get("certificate_validity"), active=doc["active"], document=doc)

"""The course schema's contract: it is a valid Draft 2020-12 schema, the demo courses are valid
examples of it, every invalid example fails exactly where it says, and CPD hours are derived
(1 an hour of active learning, down to the quarter hour), never taken from the client."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from iris_engine.errors import InvalidInput
from iris_engine.training.course_document import (
    AUDIENCES,
    SCHEMA_FILE,
    TOPICS,
    check_course,
    cpd_hours,
    topic_labels,
    valid_until,
)
from iris_engine.training.courses import DEMO_COURSES, demo_course_documents

INVALID = sorted((SCHEMA_FILE.parent / "examples" / "invalid").glob("*.json"))
VALID = sorted(DEMO_COURSES.glob("*.json"))


def test_the_schema_is_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_the_vocabularies_are_the_domains() -> None:
    assert set(TOPICS) == {"what_is_trafficking", "trafficking_vs_smuggling", "indicators",
                           "responding_to_concerns"}
    assert set(AUDIENCES) == {"social_workers", "housing_inspectors", "police", "clergy", "health",
                              "home_office", "recruiters", "other"}
    assert all(label.strip() for label in [*TOPICS.values(), *AUDIENCES.values()])


def test_the_demo_courses_are_the_two_of_the_issue() -> None:
    courses = {d["key"]: check_course(d) for d in demo_course_documents()}
    assert set(courses) == {"trafficking-awareness-frontline", "iris-ethical-recruitment-foundations"}
    frontline = courses["trafficking-awareness-frontline"]
    assert frontline.cpd_hours == 3.0 and not frontline.accreditation_prerequisite
    assert {"social_workers", "housing_inspectors", "police", "clergy", "health",
            "home_office"} <= set(frontline.audiences)
    recruiters = courses["iris-ethical-recruitment-foundations"]
    assert recruiters.accreditation_prerequisite and recruiters.audiences == ["recruiters"]
    assert recruiters.pass_mark == 70


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_a_valid_example_is_named_for_its_key(path: Path) -> None:
    assert check_course(json.loads(path.read_text(encoding="utf-8"))).key == path.stem


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_an_invalid_example_fails_where_it_says(path: Path) -> None:
    example = json.loads(path.read_text(encoding="utf-8"))
    assert set(example) == {"description", "expected_errors", "document"}
    expected = sorted(e["pointer"] for e in example["expected_errors"])
    assert expected
    with pytest.raises(InvalidInput) as caught:
        check_course(example["document"])
    assert sorted(e.pointer for e in caught.value.errors) == expected
    assert all(e.message.strip() for e in caught.value.errors)
    with pytest.raises(InvalidInput) as again:
        check_course(example["document"], base_pointer="/course")
    assert sorted(e.pointer for e in again.value.errors) == ["/course" + p for p in expected]


@pytest.mark.parametrize("minutes, hours", [
    (15, 0.25), (59, 0.75), (60, 1.0), (89, 1.25), (90, 1.5), (180, 3.0), (190, 3.0),
    (195, 3.25), (210, 3.5), (2880, 48.0)])
def test_cpd_hours_are_rounded_down_to_the_quarter_hour(minutes: int, hours: float) -> None:
    assert cpd_hours(minutes) == hours


def _course(**changes: Any) -> dict[str, Any]:
    doc = demo_course_documents()[1]  # trafficking-awareness-frontline
    doc.pop("cpd_hours", None)
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def test_derived_hours_fill_the_document_and_defaults_are_explicit() -> None:
    facts = check_course(_course(active_minutes=100, accreditation_prerequisite=None,
                                 other_topics=None, certificate_validity=None))
    assert facts.cpd_hours == facts.document["cpd_hours"] == 1.5
    assert facts.document["accreditation_prerequisite"] is False
    assert facts.document["active"] is True and facts.document["other_topics"] == []
    assert facts.certificate_validity is None


@pytest.mark.parametrize("changes, pointer", [
    ({"cpd_hours": 3.25}, "/cpd_hours"),
    ({"cpd_hours": "3"}, "/cpd_hours"),
    ({"active_minutes": 14}, "/active_minutes"),
    ({"duration_minutes": 2881}, "/duration_minutes"),
    ({"certificate_validity": "P0D"}, "/certificate_validity"),
    ({"certificate_validity": "P"}, "/certificate_validity"),
    ({"certificate_validity": "P1Y2W"}, "/certificate_validity"),
    ({"certificate_validity": "PT5H"}, "/certificate_validity"),
    ({"format": "hybrid"}, "/format"),
    ({"topics": []}, "/topics"),
    ({"topics": ["indicators", "indicators"]}, "/topics"),
    ({"audiences": []}, "/audiences"),
    ({"title": "   "}, "/title"),
    ({"key": "a--b"}, "/key"),
    ({"language": "e"}, "/language"),
    ({"pass_rules": {}}, "/pass_rules/attendance_threshold_percent"),
    ({"pass_rules": {"attendance_threshold_percent": 80, "knowledge_check": {}}},
     "/pass_rules/knowledge_check/pass_mark_percent"),
    ({"pass_rules": {"attendance_threshold_percent": 80.5}}, "/pass_rules/attendance_threshold_percent"),
    ({"active": "no"}, "/active"),
])
def test_each_rule_refuses_at_its_pointer(changes: dict[str, Any], pointer: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_course(_course(**changes))
    assert {e.pointer for e in caught.value.errors} == {pointer}


def test_a_document_that_is_no_object_is_refused_at_the_root() -> None:
    for document in ([], "course", None, 3):
        with pytest.raises(InvalidInput) as caught:
            check_course(document)
        assert [e.pointer for e in caught.value.errors] == ["/"]


def test_whole_numbers_written_as_decimals_are_stored_as_integers() -> None:
    facts = check_course(_course(duration_minutes=210.0, active_minutes=180.0))
    assert isinstance(facts.duration_minutes, int) and isinstance(facts.document["active_minutes"], int)


def test_labels_and_validity() -> None:
    assert topic_labels(["indicators"], ["NRM duties"]) == ["Indicators of trafficking", "NRM duties"]
    assert valid_until(date(2026, 3, 1), "P3Y") == date(2029, 3, 1)
    assert valid_until(date(2024, 2, 29), "P1Y") == date(2025, 2, 28)
    assert valid_until(date(2026, 1, 1), "P26W") == date(2026, 7, 2)
    assert valid_until(date(2026, 1, 1), None) is None

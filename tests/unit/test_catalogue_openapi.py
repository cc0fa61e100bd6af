"""The course catalogue's and statistics' operations, as the OpenAPI publishes them once wired
into the training domain (``training.catalogue``): every request string bounded, every error
documented as problem+json, the public list open to anyone and the rest behind the token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iris_engine.app import create_app
from iris_engine.services import build_services
from iris_engine.settings import Settings
from tests.conftest import REPO
from tests.integration.catalogue_support import catalogue_domains
from tests.unit import test_openapi_bounds as bounds_contract


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db: Path = tmp_path_factory.mktemp("openapi") / "iris.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{db}",
                        secret_key="contract-test-secret-key-of-32-bytes!",
                        workflows_dir=REPO / "workflows", codes_dir=REPO / "codes_of_conduct",
                        scheduler=False)
    services = build_services(settings, domains=catalogue_domains())
    return create_app(settings, services=services).openapi_schema.to_schema()


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for path, item in document["paths"].items()
            if path.startswith("/api/v1/training/") for op in item.values()
            if isinstance(op, dict) and "operationId" in op}


def test_request_strings_are_bounded(document: dict[str, Any]) -> None:
    bounds_contract.test_every_request_string_has_a_maximum_length(document)


def test_the_operations_and_who_needs_a_token(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert {"addCourse", "listCourses", "getCourse", "listCourseVersions", "reviseCourse",
            "listPublicCourses", "getCourseSchema", "trainingStatistics"} <= set(operations)
    for name in ("addCourse", "listCourses", "getCourse", "listCourseVersions", "reviseCourse",
                 "trainingStatistics"):
        assert operations[name].get("security"), name
        assert {"401", "403"} <= set(operations[name]["responses"]), name
    assert not operations["listPublicCourses"].get("security")
    assert not operations["getCourseSchema"].get("security")


def test_errors_are_documented_as_problems(document: dict[str, Any]) -> None:
    for name, op in _operations(document).items():
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response.get("content", {})) == ["application/problem+json"], (
                    name, status)

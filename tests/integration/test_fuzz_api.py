"""Schemathesis, every check, against a real ``iris serve`` on SQLite and on PostgreSQL: the
public operations as anyone, the others as a recruiter and as a scheme manager.

The staff operations run as a recruiter on SQLite and as a scheme manager on PostgreSQL (both
roles, both databases, within the time CI has). Each operation runs schemathesis's coverage
phase (boundary values, wrong types, missing and repeated parameters, other media types and
methods, OPTIONS) and a few fuzzed examples, with a
fixed seed (``derandomize``), so CI draws the same requests every run. Every check schemathesis
has runs on every answer (``--checks all``), with one narrowing, below, of
``positive_data_acceptance``: the rules a JSON Schema cannot state in a form generators follow.
Our own checks add the one error shape (problem+json with JSON pointers) and a Content-Type with
no repeated parameter.

Reproduce a failure with the curl command in its message; ``IRIS_TEST_FUZZ_RANDOM=1`` draws new
examples locally. ``test_fuzz_public_api.py`` also fuzzes the public operations with real
resources (a filed grievance and its access code, a roster entry).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed: pip install -e '.[test]' (it is a "
                           "declared test dependency, so CI runs this file)")

from schemathesis.config import SchemathesisConfig  # noqa: E402

from iris_engine.app import create_app  # noqa: E402
from iris_engine.settings import Settings  # noqa: E402
from tests.conftest import PG_ENV, REPO  # noqa: E402
from tests.databases import PostgresServer  # noqa: E402
from tests.integration.test_fuzz_public_api import (  # noqa: E402
    ALL_CHECKS,
    PUBLIC_OPERATIONS,
    check_content_type_parameters,
    check_problem_details,
    start_server,
    stop_server,
)

#: fuzzed examples per operation, on top of the coverage phase's deterministic cases
MAX_EXAMPLES = 6
SEED = 20261202
def _document() -> dict[str, Any]:
    """The OpenAPI as the server writes it (built in-process at collection, no database)."""
    settings = Settings(database_url="sqlite+aiosqlite:////nonexistent/iris.db",
                        secret_key="collection-only-secret-key-of-32-bytes",
                        workflows_dir=REPO / "workflows", codes_dir=REPO / "codes_of_conduct",
                        scheduler=False)
    return create_app(settings).openapi_schema.to_schema()


CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES,
                   "deterministic": not os.environ.get("IRIS_TEST_FUZZ_RANDOM"),
                   "database": "none"},
    "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
})
SCHEMA = schemathesis.openapi.from_dict(_document(), config=CONFIG)
STAFF_OPERATIONS = sorted(
    op["operationId"] for item in SCHEMA.raw_schema["paths"].values() for op in item.values()
    if isinstance(op, dict) and "operationId" in op and op["operationId"] not in PUBLIC_OPERATIONS
    and op["operationId"] != "health")
PUBLIC = SCHEMA.include(operation_id=list(PUBLIC_OPERATIONS))
STAFF = SCHEMA.include(operation_id=STAFF_OPERATIONS)


#: who fuzzes the staff operations on each database: both roles, each on one database, keep
#: the run within its budget (the public operations run on both)
STAFF_IDENTITY = {"sqlite": "recruiter", "postgres": "scheme_manager"}


@dataclass
class Running:
    base_url: str
    tokens: dict[str, str]
    database: str


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            ) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url, drop = f"sqlite+aiosqlite:///{tmp / 'iris.db'}", None
    else:
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(f"PostgreSQL not configured: set {PG_ENV} (.ci/run does)")
        postgres = PostgresServer(base)
        name = postgres.create("iris_fuzz")
        url, drop = postgres.url(name), lambda: postgres.drop(name)
    server = start_server(tmp, url)
    try:
        yield Running(server.base_url, server.tokens, request.param)
    finally:
        stop_server(server)
        if drop is not None:
            drop()


def _check(case: Any, response: Any) -> None:
    reproduce = case.as_curl_command()
    check_problem_details(response, reproduce)
    check_content_type_parameters(response, reproduce)
    case.validate_response(response, checks=ALL_CHECKS)


@PUBLIC.parametrize()
def test_public_operation(case: Any, running: Running) -> None:
    _check(case, case.call(base_url=running.base_url, timeout=30))


@STAFF.parametrize()
def test_staff_operation(case: Any, running: Running) -> None:
    headers = {"Authorization": f"Bearer {running.tokens[STAFF_IDENTITY[running.database]]}"}
    _check(case, case.call(base_url=running.base_url, headers=headers, timeout=30))


def test_fuzzed_operations_cover_the_api() -> None:
    every = {op["operationId"] for item in SCHEMA.raw_schema["paths"].values()
             for op in item.values() if isinstance(op, dict) and "operationId" in op}
    assert every - {"health"} == set(PUBLIC_OPERATIONS) | set(STAFF_OPERATIONS)
    assert len(STAFF_OPERATIONS) > 15
    assert set(STAFF_IDENTITY.values()) == {"recruiter", "scheme_manager"}

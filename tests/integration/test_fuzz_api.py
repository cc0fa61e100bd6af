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
    _iris,
    _run,
    _server_env,
    check_content_type_parameters,
    check_problem_details,
    positive_data_acceptance,
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
#: the return operations run as a return officer, on both databases: as a recruiter or a
#: scheme manager every one is refused before its input is looked at
RETURN_PATHS = ("/api/v1/returns", "/api/v1/return-partners")
RETURN_OPERATIONS = sorted(
    op["operationId"] for path, item in SCHEMA.raw_schema["paths"].items()
    if path.startswith(RETURN_PATHS) for op in item.values()
    if isinstance(op, dict) and "operationId" in op)
STAFF_OPERATIONS = sorted(
    op["operationId"] for item in SCHEMA.raw_schema["paths"].values() for op in item.values()
    if isinstance(op, dict) and "operationId" in op and op["operationId"] not in PUBLIC_OPERATIONS
    and op["operationId"] != "health" and op["operationId"] not in RETURN_OPERATIONS)
PUBLIC = SCHEMA.include(operation_id=list(PUBLIC_OPERATIONS))
STAFF = SCHEMA.include(operation_id=STAFF_OPERATIONS)
RETURNS = SCHEMA.include(operation_id=RETURN_OPERATIONS)
RETURN_OFFICER = ("fuzz.officer@returns.example", "a return officer fuzzing 2026")
#: per return operation, where a schema-valid request may be refused for more than its schema
#: says: a nationality returns are not arranged to today (the workflow's settings: a new
#: country is a data change, not an API change), a name's Unicode rules (``iris_engine.names``),
#: a date of birth in the future, a service kind the workflow does not name, a range whose last
#: day comes before its first (a rule between two parameters)
RETURN_BEYOND_SCHEMA = {
    "referForReturn": ("/nationality", "/return_country", "/survivor/name",
                       "/survivor/date_of_birth"),
    "addReturnPartner": ("/name", "/services/"),
    "returnStatistics": ("/query/to",),
}


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
        _return_officer(server.base_url, server.tokens, url, tmp)
        yield Running(server.base_url, server.tokens, request.param)
    finally:
        stop_server(server)
        if drop is not None:
            drop()


def _return_officer(base_url: str, tokens: dict[str, str], url: str, tmp: Any) -> None:
    """A return officer's token (the demo's, or one added with ``iris users add``)."""
    import httpx

    if "return_officer" in tokens:
        return
    email, password = RETURN_OFFICER
    _run(_iris("users", "add", "--email", email, "--name", "Fuzz Officer", "--role",
               "return_officer", "--organisation", "Returns desk", "--kind", "scheme",
               "--password", password), _server_env(url), tmp / "server.log")
    r = httpx.post(f"{base_url}/api/v1/auth/token", json={"email": email, "password": password},
                   timeout=30)
    assert r.status_code == 200, r.text
    tokens["return_officer"] = r.json()["access_token"]


def _check(case: Any, response: Any, checks: list[Any] = ALL_CHECKS) -> None:
    reproduce = case.as_curl_command()
    check_problem_details(response, reproduce)
    check_content_type_parameters(response, reproduce)
    case.validate_response(response, checks=checks)


def return_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance`` as narrowed for every operation, and for a return operation
    a refusal at the fields ``RETURN_BEYOND_SCHEMA`` names."""
    import json

    try:
        return positive_data_acceptance(ctx, response, case)
    except Exception:
        beyond = RETURN_BEYOND_SCHEMA.get(case.operation.definition.raw.get("operationId", ""))
        errors = (json.loads(response.content).get("errors") or []
                  if response.status_code == 422 else [])
        if beyond and errors and all(e["pointer"].startswith(beyond) for e in errors):
            return None
        raise


RETURN_CHECKS = [c for c in ALL_CHECKS if c is not positive_data_acceptance]
RETURN_CHECKS.append(return_data_acceptance)


@PUBLIC.parametrize()
def test_public_operation(case: Any, running: Running) -> None:
    _check(case, case.call(base_url=running.base_url, timeout=30))


@STAFF.parametrize()
def test_staff_operation(case: Any, running: Running) -> None:
    headers = {"Authorization": f"Bearer {running.tokens[STAFF_IDENTITY[running.database]]}"}
    _check(case, case.call(base_url=running.base_url, headers=headers, timeout=30))


@RETURNS.parametrize()
def test_return_operation(case: Any, running: Running) -> None:
    headers = {"Authorization": f"Bearer {running.tokens['return_officer']}"}
    _check(case, case.call(base_url=running.base_url, headers=headers, timeout=30),
           RETURN_CHECKS)


def test_fuzzed_operations_cover_the_api() -> None:
    every = {op["operationId"] for item in SCHEMA.raw_schema["paths"].values()
             for op in item.values() if isinstance(op, dict) and "operationId" in op}
    assert every - {"health"} == (set(PUBLIC_OPERATIONS) | set(STAFF_OPERATIONS)
                                  | set(RETURN_OPERATIONS))
    assert {"referForReturn", "readSurvivorIdentity", "listReturnPartners"} <= set(
        RETURN_OPERATIONS)
    assert len(STAFF_OPERATIONS) > 15
    assert set(STAFF_IDENTITY.values()) == {"recruiter", "scheme_manager"}

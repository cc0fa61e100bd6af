"""The OpenAPI bounds every string a client sends, and each bound fits the column it lands in.

The numbers live in ``iris_engine.bounds``: the tables size their columns with them and the
request types bound their strings with them. These tests hold the published document to that:
no request string (body member at any depth, path, query or header parameter) without a
``maxLength``, and for each one that is stored, a ``maxLength`` the column can hold (PostgreSQL
refuses a longer value; SQLite would store it, so only this test and PostgreSQL notice).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column

from iris_engine.accreditation.models import Accreditation
from iris_engine.app import create_app
from iris_engine.disclosure.models import Authority, PersonalDataRead
from iris_engine.grievances.models import Grievance
from iris_engine.roster.models import RosterEntry, Subscription
from iris_engine.settings import Settings
from iris_engine.store.models import Case, CaseEvent, Organisation, User
from tests.conftest import REPO

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db: Path = tmp_path_factory.mktemp("openapi") / "iris.db"
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{db}",
                              secret_key="contract-test-secret-key-of-32-bytes!",
                              workflows_dir=REPO / "workflows", codes_dir=REPO / "codes_of_conduct",
                              scheduler=False))
    return app.openapi_schema.to_schema()


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def _strings(document: dict[str, Any], schema: Any, where: str, bound: int | None = None,
             seen: frozenset[str] = frozenset()) -> Iterator[tuple[str, int | None]]:
    """Every place a string may stand in ``schema``, with the maxLength that applies there
    (Litestar states it beside a ``oneOf`` of string and null, msgspec inside the string)."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return
        seen = seen | {ref}
        schema = _resolve(document, schema)
    bound = schema.get("maxLength", bound)
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "string" in types and "enum" not in schema and "const" not in schema:
        yield where, bound
    for key in ("oneOf", "anyOf", "allOf"):
        for option in schema.get(key, []):
            yield from _strings(document, option, where, bound, seen)
    for name, member in (schema.get("properties") or {}).items():
        yield from _strings(document, member, f"{where}/{name}", None, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _strings(document, schema[key], f"{where}/*", None, seen)
    if isinstance(schema.get("propertyNames"), dict):
        yield from _strings(document, {"type": "string", **schema["propertyNames"]},
                            f"{where}/(member names)", None, seen)


def _request_strings(document: dict[str, Any]) -> Iterator[tuple[str, int | None]]:
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            label = f"{method.upper()} {path}"
            for parameter in op.get("parameters", []):
                yield from _strings(document, parameter["schema"],
                                    f"{label} {parameter['in']} {parameter['name']}")
            for media in (op.get("requestBody") or {}).get("content", {}).values():
                yield from _strings(document, media["schema"], f"{label} body")


def test_every_request_string_has_a_maximum_length(document: dict[str, Any]) -> None:
    places = list(_request_strings(document))
    assert len(places) > 50, "the walk found too few strings to be walking the document"
    unbounded = sorted(where for where, bound in places if not isinstance(bound, int))
    assert unbounded == [], f"request strings without maxLength: {unbounded}"


#: where a client's string is stored: (operation, where in the request) -> the column
STORED: list[tuple[str, str, Column[Any]]] = [
    ("POST /api/v1/recruiters", "body/organisation/name", Organisation.__table__.c.name),
    ("POST /api/v1/recruiters", "body/organisation/country", Organisation.__table__.c.country),
    ("POST /api/v1/recruiters", "body/user/name", User.__table__.c.name),
    ("POST /api/v1/recruiters", "body/user/email", User.__table__.c.email),
    ("POST /api/v1/auth/token", "body/email", User.__table__.c.email),
    ("POST /api/v1/grievances", "body/language", Grievance.__table__.c.language),
    ("POST /api/v1/grievances", "body/recruiter/lrn", Grievance.__table__.c.recruiter_lrn),
    ("POST /api/v1/grievances", "body/recruiter/name", Grievance.__table__.c.recruiter_name),
    ("POST /api/v1/grievances", "body/fees_paid/amount", Grievance.__table__.c.fees_amount),
    ("POST /api/v1/grievances", "body/fees_paid/currency", Grievance.__table__.c.fees_currency),
    ("POST /api/v1/grievances", "body/corridor/origin", Grievance.__table__.c.origin_country),
    ("POST /api/v1/authorities", "body/name", Authority.__table__.c.name),
    ("POST /api/v1/authorities", "body/webhook_url", Authority.__table__.c.webhook_url),
    ("POST /api/v1/applications", "body/code_of_conduct", Accreditation.__table__.c.code_of_conduct),
    ("POST /api/v1/applications/{case_id}/transitions", "body/event", CaseEvent.__table__.c.event),
    ("POST /api/v1/applications/{case_id}/transitions", "body/reason_code",
     CaseEvent.__table__.c.reason_code),
    ("POST /api/v1/grievances/{reference}/transitions", "body/event", CaseEvent.__table__.c.event),
    ("POST /api/v1/roster/{lrn}/subscriptions", "body/url", Subscription.__table__.c.target),
    ("POST /api/v1/roster/{lrn}/subscriptions", "body/email", Subscription.__table__.c.target),
    ("GET /api/v1/roster/{lrn}", "path lrn", RosterEntry.__table__.c.lrn),
    ("GET /api/v1/roster", "query cursor", RosterEntry.__table__.c.lrn),
    ("GET /api/v1/grievances/{reference}", "path reference", Grievance.__table__.c.reference),
    ("GET /api/v1/applications", "query state", Case.__table__.c.state),
    ("GET /api/v1/grievance-cases/{case_id}/identity", "query purpose",
     PersonalDataRead.__table__.c.purpose),
]


@pytest.mark.parametrize(("operation", "where", "column"), STORED,
                         ids=[f"{o} {w}" for o, w, _ in STORED])
def test_a_stored_string_fits_its_column(document: dict[str, Any], operation: str, where: str,
                                         column: Column[Any]) -> None:
    length = getattr(column.type, "length", None)
    assert isinstance(length, int), f"{column} has no length: nothing to hold the bound to"
    bounds = {bound for place, bound in _request_strings(document)
              if place == f"{operation} {where}"}
    assert bounds, f"{operation} {where} is not in the OpenAPI (renamed?)"
    assert all(isinstance(b, int) and b <= length for b in bounds), (
        f"{operation} {where}: maxLength {bounds} but the column {column} holds {length}")

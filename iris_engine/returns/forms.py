"""The two forms a partner fills in, as data: the risk assessment before a return and the
monitoring report after it, each a JSON Schema (Draft 2020-12) in ``schemas/`` with valid and
invalid examples beside it. Each is compiled once and checked with formats; its errors carry
a JSON pointer into the transition's body (``/data/assessment/...``) and a sentence a partner
can act on. Pure: no HTTP, no SQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator

from iris_engine.documents import explain, pointer_of
from iris_engine.errors import FieldError, Forbidden

__all__ = [
    "FORMS_FOLDER",
    "FORM_NAMES",
    "READERS",
    "FormName",
    "ReturnForm",
    "ReturnForms",
    "form",
]

FORMS_FOLDER = Path(__file__).resolve().parent / "schemas"
FormName = Literal["risk_assessment", "monitoring_report"]
FORM_NAMES: tuple[FormName, ...] = ("risk_assessment", "monitoring_report")
#: who may read the forms' schemas: everyone who takes part in a return
READERS = frozenset({"return_officer", "return_supervisor", "referrer", "partner"})
#: the most errors one refusal lists (a hostile form could otherwise make thousands)
_MAX_ERRORS = 50


@dataclass(frozen=True, slots=True)
class ReturnForm:
    name: FormName
    schema: dict[str, Any]
    validator: Draft202012Validator

    def errors(self, document: Any, *, base_pointer: str) -> list[FieldError]:
        """Every error in ``document`` (at most ``_MAX_ERRORS``), sorted by pointer."""
        found = []
        for error in self.validator.iter_errors(document):
            found.append(FieldError(base_pointer + pointer_of(error.absolute_path), explain(error)))
            if len(found) == _MAX_ERRORS:
                break
        return sorted(found, key=lambda e: (e.pointer, e.message))

    def published(self) -> dict[str, Any]:
        """The schema as served (a copy: a caller may not change the one in use)."""
        copied: dict[str, Any] = json.loads(json.dumps(self.schema))
        return copied


@cache
def form(name: FormName) -> ReturnForm:
    """The form ``name``, loaded and compiled on first use and kept."""
    schema: dict[str, Any] = json.loads(
        (FORMS_FOLDER / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return ReturnForm(name, schema, validator)


class ReturnForms:
    """The forms' schemas for the people of a return (``GET /api/v1/returns/*-schema``)."""

    def schema(self, roles: frozenset[str], name: FormName) -> dict[str, Any]:
        if not roles & READERS:
            raise Forbidden("the return forms are for return officers and supervisors, "
                            "referrers and partners")
        return form(name).published()

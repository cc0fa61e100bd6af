"""``new_row``: a table row built as the ORM builds the rows it loads is the row the model's
constructor builds (fields, defaults, the set of fields given), each with defaults of its own,
and a misspelt or missing field is an error rather than a silently empty column."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import inspect

from iris_engine.grievances.models import Grievance
from iris_engine.store.models import Case, CaseEvent
from iris_engine.store.rows import new_row

NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)

EXAMPLES: list[tuple[Any, dict[str, Any]]] = [
    (Case, {"workflow": "accreditation", "workflow_version": 2, "state": "submitted",
            "organisation_id": 7, "created_at": NOW, "updated_at": NOW}),
    (CaseEvent, {"case_id": 3, "seq": 1, "event": "open", "from_state": None,
                 "to_state": "submitted", "actor_id": None, "actor_role": "recruiter",
                 "data": {"x": [1]}, "created_at": NOW, "prev_hash": "0" * 64, "hash": ""}),
    (Grievance, {"case_id": 3, "reference": "GRV-AAAAA-BBBBB", "access_code_hash": "f" * 64,
                 "complainant_role": "worker", "language": "ne", "origin_country": "NP",
                 "destination_country": "QA", "severity": "high", "filed_at": NOW,
                 "allegations": ["fees"], "principles": ["1", "3"]}),
]


@pytest.mark.parametrize(("model", "values"), EXAMPLES, ids=lambda v: getattr(v, "__name__", ""))
def test_it_is_the_row_the_constructor_builds(model: Any, values: dict[str, Any]) -> None:
    built, made = model(**values), new_row(model, **values)
    assert made.model_dump() == built.model_dump()
    assert made.model_fields_set == built.model_fields_set == set(values)
    assert inspect(made).transient and type(made) is model


def test_each_row_has_defaults_of_its_own() -> None:
    values = EXAMPLES[2][1]
    one, other = new_row(Grievance, **values), new_row(Grievance, **values)
    one.remedies.append({"kind": "refund"})
    assert other.remedies == [] and other.finding_principles == []
    assert one.tier == other.tier == 1 and one.legal_hold is False


def test_a_field_it_does_not_have_or_one_left_out_is_an_error() -> None:
    with pytest.raises(TypeError, match=r"Case has no field stat$"):
        new_row(Case, **{**EXAMPLES[0][1], "stat": "x"})
    missing = dict(EXAMPLES[0][1])
    del missing["state"], missing["created_at"]
    with pytest.raises(TypeError, match="Case needs created_at, state"):
        new_row(Case, **missing)


def test_a_model_that_is_not_a_table_is_refused() -> None:
    from iris_engine.grievances.schemas import GrievanceFiling

    with pytest.raises(TypeError, match="not a table model"):
        new_row(GrievanceFiling)  # type: ignore[type-var]

"""The prerequisite training guard on its own: what it asks the training records, and what it
does when the setting or the records are missing (it refuses: closed by default)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from iris_engine.accreditation.prerequisites import prerequisite_training_held
from iris_engine.errors import Refusal
from iris_engine.qualifications import CourseOffer, Qualifications
from iris_engine.workflow import Resources, WorkflowCatalog
from tests.conftest import REPO

COURSE = "iris-ethical-recruitment-foundations"
NOW = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)


class Records(Qualifications):
    """Holds ``held`` people; remembers what it was asked."""

    def __init__(self, held: int) -> None:
        self.held = held
        self.asked: list[dict[str, Any]] = []

    async def holders(self, session: Any, *, organisation_id: int, course_keys: Sequence[str],
                      on: date) -> int:
        self.asked.append({"organisation_id": organisation_id, "course_keys": list(course_keys),
                           "on": on})
        return self.held

    async def offers(self, session: Any, course_keys: Sequence[str]) -> list[CourseOffer]:
        return [CourseOffer(COURSE, "IRIS ethical recruitment foundations",
                            f"/api/v1/training/sessions/open?course={COURSE}", date(2026, 12, 9))]


def ctx(setting: Any, *records: Qualifications, organisation_id: int | None = 7) -> Any:
    settings = {} if setting is None else {"prerequisite_training": setting}
    return SimpleNamespace(workflow_settings=settings, resources=Resources(*records),
                           case=SimpleNamespace(organisation_id=organisation_id),
                           session=None, now=NOW)


async def refusal(context: Any) -> str:
    with pytest.raises(Refusal) as refused:
        await prerequisite_training_held(context)
    return refused.value.message


def test_the_released_workflow_asks_one_certified_person() -> None:
    spec = WorkflowCatalog.from_dir(REPO / "workflows").machine("accreditation").spec
    assert spec.settings["prerequisite_training"] == {"courses": [COURSE], "people": 1}
    submit = spec.transition("submit", "draft")
    assert submit is not None and "prerequisite_training_held" in submit.guards


async def test_enough_holders_pass_and_the_question_is_the_organisations_today() -> None:
    records = Records(held=2)
    assert await prerequisite_training_held(ctx({"courses": [COURSE], "people": 2}, records)) is None
    assert records.asked == [{"organisation_id": 7, "course_keys": [COURSE], "on": NOW.date()}]


async def test_too_few_holders_are_refused_with_the_numbers_and_where_to_enrol() -> None:
    message = await refusal(ctx({"courses": [COURSE], "people": 3}, Records(held=2)))
    assert message.startswith("the organisation needs 3 people holding a valid certificate of "
                              f"the prerequisite training ({COURSE}) and has 2")
    assert (f"'IRIS ethical recruitment foundations' ({COURSE}): enrol at GET "
            f"/api/v1/training/sessions/open?course={COURSE} (next session 2026-12-09)") in message


async def test_people_zero_passes_even_without_training_records() -> None:
    assert await prerequisite_training_held(ctx({"courses": [COURSE], "people": 0})) is None
    assert await prerequisite_training_held(ctx({"courses": [], "people": 0})) is None


async def test_without_training_records_it_refuses_as_a_configuration_error() -> None:
    message = await refusal(ctx({"courses": [COURSE], "people": 1}))
    assert "no Qualifications provider is installed" in message
    assert "configuration error" in message


async def test_a_case_of_no_organisation_holds_nothing() -> None:
    records = Records(held=5)
    assert "and has 0" in await refusal(ctx({"courses": [COURSE], "people": 1}, records,
                                            organisation_id=None))
    assert records.asked == []


@pytest.mark.parametrize("setting", [
    None, "iris-ethical-recruitment-foundations", {"courses": [COURSE]},
    {"courses": COURSE, "people": 1}, {"courses": [COURSE], "people": -1},
    {"courses": [COURSE], "people": True}, {"courses": [COURSE], "people": "1"},
    {"courses": [""], "people": 1}, {"courses": [], "people": 1}, {"courses": [3], "people": 1},
])
async def test_a_malformed_setting_refuses_every_submission(setting: Any) -> None:
    message = await refusal(ctx(setting, Records(held=100)))
    assert "prerequisite_training" in message and "configuration error" in message

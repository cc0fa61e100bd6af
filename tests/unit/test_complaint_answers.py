"""The complaint pages' plain words map onto the API's codes, and amounts are read as people
type them."""

from __future__ import annotations

from typing import get_args, get_type_hints

import pytest

from iris_engine.grievances.pages.complaint import CHANNELS, FIELDS, HAPPENINGS, ROLES, STATUSES, STEPS
from iris_engine.grievances.pages.complaint_choices import amount_of, countries, currencies
from iris_engine.grievances.schemas import ALLEGATIONS, Contact, GrievanceFiling, Principle
from iris_engine.roster.service import PUBLIC_STATUSES


def _literal(struct: type, member: str) -> set[str]:
    hint = get_type_hints(struct)[member]
    return {a for arg in get_args(hint) for a in (get_args(arg) or (arg,)) if isinstance(a, str)}


def test_every_choice_is_one_the_api_takes() -> None:
    assert set(ROLES) == _literal(GrievanceFiling, "complainant_role")
    assert set(CHANNELS) == _literal(Contact, "preferred_channel")
    assert set(STATUSES) == set(PUBLIC_STATUSES)
    principles = set(get_args(Principle))
    for key, happening in HAPPENINGS.items():
        assert set(happening.allegations) <= set(ALLEGATIONS), key
        assert set(happening.principles) <= principles, key
    # every allegation can be said in a worker's words
    assert {a for h in HAPPENINGS.values() for a in h.allegations} == set(ALLEGATIONS)
    assert list(FIELDS) == list(STEPS)


@pytest.mark.parametrize(("typed", "amount"), [
    ("1500", "1500"), ("1,500.50", "1500.50"), ("1 500", "1500"),
    ("\u0967,\u096b\u0966,\u0966\u0966\u0966", "150000"),  # Devanagari, Indian grouping
    ("\u0661\u0665\u0660\u0660\u066b\u0665", "1500.5"),  # Arabic-Indic, Arabic decimal point
    ("-5", None), ("1.234", None), ("a lot", None), ("1.5.5", None), ("\u00b2", None),
    ("1" * 13, None),
])
def test_an_amount_is_read_as_people_write_it(typed: str, amount: str | None) -> None:
    assert amount_of(typed) == amount


def test_countries_and_currencies_are_named_in_the_page_language() -> None:
    assert len(countries("ne")) == 249 and countries("en")[0] == "AF"
    named = dict(currencies("ne"))
    assert "NPR" in named and named["NPR"] != "NPR" and "XXX" not in named

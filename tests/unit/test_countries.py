"""The vendored ISO 3166-1 list: complete, and the same as pycountry's."""

from __future__ import annotations

import pycountry

from iris_engine.countries import ISO_3166_ALPHA_2, is_country


def test_the_list_holds_every_assigned_code_and_nothing_else() -> None:
    assert len(ISO_3166_ALPHA_2) == 249
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in ISO_3166_ALPHA_2)
    assert {"NP", "QA", "AE", "PH", "SS", "GB"} <= ISO_3166_ALPHA_2
    # user-assigned, reserved or withdrawn codes are not countries
    assert not any(is_country(c) for c in ("XK", "EU", "UK", "AN", "QT", "np", ""))


def test_the_list_matches_pycountry() -> None:
    """pycountry is a test dependency only: the service carries the list, the tests check it."""
    assert {c.alpha_2 for c in pycountry.countries} == ISO_3166_ALPHA_2

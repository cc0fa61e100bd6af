"""The renewal and restoration windows, from the workflow's settings."""

from __future__ import annotations

from datetime import date

import pytest

from iris_engine.accreditation.windows import recertification_opens, restoration_ends


@pytest.mark.parametrize(("until", "settings", "opens"), [
    (date(2029, 12, 2), {}, date(2028, 12, 2)),  # the default: the last year
    (date(2029, 12, 2), {"recertification_window": "P6M"}, date(2029, 6, 2)),
    (date(2028, 2, 29), {"recertification_window": "P1Y"}, date(2027, 2, 28)),
])
def test_recertification_opens(until: date, settings: dict[str, str], opens: date) -> None:
    assert recertification_opens(until, settings) == opens


@pytest.mark.parametrize(("until", "settings", "ends"), [
    # ended on 3 December 2029; six months later is 3 June 2030, the first day too late
    (date(2029, 12, 2), {}, date(2030, 6, 2)),
    (date(2029, 12, 2), {"restoration_period": "P30D"}, date(2030, 1, 1)),
    (date(2029, 8, 30), {"restoration_period": "P6M"}, date(2030, 2, 27)),  # no 31 February
])
def test_restoration_ends(until: date, settings: dict[str, str], ends: date) -> None:
    assert restoration_ends(until, settings) == ends

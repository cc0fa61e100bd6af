"""Answers kept compressed: which clients get gzip (RFC 9110 12.5.3), and what is kept."""

from __future__ import annotations

import gzip
import os

import pytest

from iris_engine.web.encoding import Encoded, accepts_gzip


def _scope(*values: str) -> dict[str, object]:
    return {"headers": [(b"Accept-Encoding", v.encode()) for v in values]}


@pytest.mark.parametrize(("values", "expected"), [
    ((), False),  # says nothing: identity
    (("gzip, deflate, br, zstd",), True),  # what Chromium sends
    (("br",), False),
    (("identity",), False),
    (("GZIP",), True),  # codings are case-insensitive
    (("x-gzip",), True),
    (("gzip;q=0",), False),
    (("gzip; q=0.000",), False),
    (("gzip;q=0.5, br",), True),
    (("*",), True),
    (("*;q=0",), False),
    (("*, gzip;q=0",), False),  # an explicit refusal beats the wildcard
    (("gzip;q=zero",), False),  # a weight that is no number accepts nothing
    (("br", "gzip"), True),  # two headers are one list
    ((" ,, ;q=1",), False),
])
def test_which_clients_get_gzip(values: tuple[str, ...], expected: bool) -> None:
    assert accepts_gzip(_scope(*values)) is expected  # type: ignore[arg-type]


def test_a_body_is_gzipped_once_when_first_asked_and_only_when_that_is_smaller() -> None:
    page = ("<li>Everest Manpower</li>" * 400).encode()
    kept = Encoded(page)
    packed = kept.gzip
    assert kept.identity == page and packed is not None
    assert gzip.decompress(packed) == page and len(packed) < len(page) // 10
    assert kept.gzip is packed  # made once, then kept
    assert Encoded(page).gzip == packed  # the same bytes each time (no timestamp)
    assert Encoded(b'{"items":[]}').gzip is None  # too small to gain
    assert Encoded(os.urandom(4096)).gzip is None  # gzip would make it larger

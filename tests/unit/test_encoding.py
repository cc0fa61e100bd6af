"""Answers kept compressed: which clients get gzip (RFC 9110 12.5.3), and what is kept."""

from __future__ import annotations

import gzip
import os
from types import SimpleNamespace

import pytest

from iris_engine.web.encoding import Encoded, KeptResponse, accepts_gzip


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


def test_each_form_is_kept_as_one_response_made_when_first_asked() -> None:
    page = ("<li>Everest Manpower</li>" * 400).encode()
    kept = Encoded(page)
    made: list[bool] = []

    def make(body: bytes, gzipped: bool) -> KeptResponse:
        made.append(gzipped)
        return KeptResponse(body, media_type="text/html")

    plain = kept.response(_scope(), make)
    assert kept.response(_scope("br"), make) is plain  # type: ignore[arg-type]
    packed = kept.response(_scope("gzip"), make)  # type: ignore[arg-type]
    assert packed is not plain and kept.response(_scope("gzip"), make) is packed  # type: ignore[arg-type]
    assert made == [False, True]
    assert plain.content == page and gzip.decompress(packed.content) == page


def test_a_kept_response_is_turned_into_its_asgi_form_once_per_route() -> None:
    """Litestar calls ``to_asgi_response`` on every request with the route's own headers and
    cookies (the same objects each time): the ASGI form is made once for them, and again for
    another route's; ``sent_by`` names the route it was last made for."""
    kept = KeptResponse(b"<p>kept</p>", media_type="text/html", headers={"Vary": "Accept-Encoding"})
    route_headers, route_cookies = {"cache-control": "no-store"}, []  # type: ignore[var-annotated]
    route, other_route = object(), object()
    request = SimpleNamespace(scope={"route_handler": route})
    assert kept.sent_by(route) is None
    first = kept.to_asgi_response(None, request, headers=route_headers,  # type: ignore[arg-type]
                                  cookies=route_cookies)
    again = kept.to_asgi_response(None, request, headers=route_headers,  # type: ignore[arg-type]
                                  cookies=route_cookies)
    assert again is first
    assert kept.sent_by(route) is first
    assert dict(first.headers) == {"cache-control": "no-store", "vary": "Accept-Encoding",
                                   "content-type": "text/html; charset=utf-8",
                                   "content-length": "11"}
    other = kept.to_asgi_response(None, SimpleNamespace(scope={"route_handler": other_route}),  # type: ignore[arg-type]
                                  headers={"cache-control": "max-age=60"},
                                  cookies=route_cookies)
    assert other is not first and other.headers["cache-control"] == "max-age=60"
    assert kept.sent_by(route) is None and kept.sent_by(other_route) is other

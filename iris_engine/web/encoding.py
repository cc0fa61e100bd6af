"""Answers kept ready to send, compressed once.

The public roster's pages and JSON are built once per roster version and then sent many times,
so each is gzipped once, the first time a client that accepts gzip (every browser does) asks
for it, and kept: a search page of ~13 kB goes over a slow mobile link as ~2.5 kB, and costs
the server less to send. A kept body is never compressed twice.

Only answers shared by every client are kept this way: they carry no secret (no CSRF token, no
session, nothing of the person asking), so compressing them next to what a client typed
(BREACH) reveals nothing. Answers that vary by client are not compressed.
"""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar.types import Scope

__all__ = ["VARY", "Encoded", "accepts_gzip"]

#: what a cache in between must key an answer by, when it may come either way
VARY = "Accept-Encoding"
#: bodies smaller than this go as they are: gzip's frame would cost more than it saves
_MIN_SIZE = 512
_ACCEPT_ENCODING = b"accept-encoding"


class Encoded:
    """A body as it is and, when that is smaller, gzipped. The gzip is made the first time a
    client that takes it asks, then kept: a body nobody asks compressed (an API client's
    search, most likely seen once) costs nothing more."""

    __slots__ = ("_gzip", "_made", "identity")

    def __init__(self, body: bytes) -> None:
        self.identity = body
        self._gzip: bytes | None = None
        self._made = len(body) < _MIN_SIZE  # too small: nothing to make

    @property
    def gzip(self) -> bytes | None:
        if not self._made:
            packed = gzip.compress(self.identity, compresslevel=6, mtime=0)  # mtime 0: same bytes
            self._gzip = packed if len(packed) < len(self.identity) else None
            self._made = True
        return self._gzip


def _gzip_weight(value: str) -> bool:
    """Whether an ``Accept-Encoding`` value (RFC 9110 12.5.3) accepts gzip: named, or ``*``,
    with a weight above zero; an explicit ``gzip;q=0`` refuses it whatever ``*`` says."""
    star = None
    for item in value.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(number.strip())
                except ValueError:
                    weight = 0.0  # a weight that is no number accepts nothing
        if coding == "*":
            star = weight > 0
        else:
            return weight > 0
    return bool(star)


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request says it takes gzip (read from the raw headers: no parsing of the
    others). Several ``Accept-Encoding`` headers are one list, as RFC 9110 5.3 says."""
    values = [bytes(value).decode("latin-1") for name, value in scope["headers"]
              if bytes(name).lower() == _ACCEPT_ENCODING]
    return bool(values) and _gzip_weight(",".join(values))

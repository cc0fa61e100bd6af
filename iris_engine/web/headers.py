"""Headers every answer carries, and the default that no answer may be stored by a cache.

``security_headers`` is a before-send hook: it sees every response the app sends, errors and
unrouted 404s included. ``NO_STORE`` is the app's default ``cache_control``: grievances,
identities, tokens and filings, like everything else, are kept by no browser or proxy; an
answer the public may cache says so itself (the roster sends ``public, max-age``, the API
documentation's assets a day).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.datastructures import CacheControlHeader

if TYPE_CHECKING:
    from litestar.types import Message, Scope

__all__ = ["API_POLICY", "NO_STORE", "PAGE_POLICY", "SITE_POLICY", "security_headers"]

NO_STORE = CacheControlHeader(no_store=True)

_NOTHING_ELSE = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: a JSON or CSV answer is data, never a document: it loads nothing and is framed nowhere
API_POLICY = f"default-src 'none'; {_NOTHING_ELSE}"
#: an HTML page (the API documentation) runs only this service's own script and style, and
#: fetches only from it; no inline script, no eval
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               f"font-src 'self'; connect-src 'self'; {_NOTHING_ELSE}")

#: a public page (``iris_engine.web.pages``): as a documentation page, and its forms post back
#: to this site only
SITE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                           "magnetometer=(), microphone=(), payment=(), usb=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


_ENCODED_ALWAYS = tuple((name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in _ALWAYS)
_CSP = b"content-security-policy"
_ENCODED_API_POLICY = API_POLICY.encode("latin-1")
_ENCODED_PAGE_POLICY = PAGE_POLICY.encode("latin-1")


async def security_headers(message: Message, scope: Scope) -> None:
    """Add the security headers to a response that does not set them itself. It runs on
    every answer, so it reads the raw header list once (``MutableScopeHeaders`` decodes and
    lower-cases every header for each name it is asked about)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", ()))
    present = set()
    page = False
    for raw_name, raw_value in headers:
        name = bytes(raw_name).lower()
        present.add(name)
        if name == b"content-type" and bytes(raw_value).startswith(b"text/html"):
            page = True
    if _CSP not in present:
        headers.append((_CSP, _ENCODED_PAGE_POLICY if page else _ENCODED_API_POLICY))
    for name, value in _ENCODED_ALWAYS:
        if name not in present:
            headers.append((name, value))
    message["headers"] = headers

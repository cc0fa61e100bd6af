"""Which webhook URLs we accept: anyone may register one, so we must not be made to call into
our own network (the delivery-time check in the relay covers names that resolve inward)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from iris_engine.errors import FieldError, InvalidInput
from iris_engine.settings import Settings

__all__ = ["check_webhook_url"]


def check_webhook_url(url: str, settings: Settings, *, pointer: str = "/url") -> str:
    """``url`` if acceptable as a webhook target; otherwise a 422 naming ``pointer``."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise InvalidInput("the webhook URL is not acceptable", errors=[
            FieldError(pointer, "the port must be between 1 and 65535")]) from None
    allowed = ("https", "http") if settings.webhook_allow_private else ("https",)
    problem = None
    if parts.scheme not in allowed or not parts.hostname or len(url) > 2000:
        problem = f"an absolute {' or '.join(allowed)} URL of at most 2000 characters"
    elif parts.username or parts.password:
        problem = "credentials in the URL are not accepted; verify the signature instead"
    elif not settings.webhook_allow_private:
        try:
            address = ipaddress.ip_address(parts.hostname)
        except ValueError:
            address = None
        if (address is not None and not address.is_global) or parts.hostname == "localhost":
            problem = "the host is not a public address"
    if problem:
        raise InvalidInput("the webhook URL is not acceptable", errors=[FieldError(pointer, problem)])
    return url

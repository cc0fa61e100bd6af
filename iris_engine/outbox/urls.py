"""Which webhook URLs we accept and which addresses we connect to for them.

Anyone may subscribe a webhook, so we must not be made to call into our own network. A URL is
parsed strictly, once when it is registered (a 422 naming the field) and again before every
delivery, with the resolver's own rules: ``getaddrinfo`` decides what is a numeric address, and
to it ``0x7f000001``, ``2130706433``, ``127.1`` and ``0177.0.0.1`` all mean 127.0.0.1. A host
name is resolved once, at delivery; every address it resolves to must be public, and the
connection goes to the address that was checked (``relay`` pins it), so a DNS answer that changes
between the check and the connection (rebinding) cannot move it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from iris_engine.errors import FieldError, InvalidInput
from iris_engine.settings import Settings

__all__ = ["MAX_URL_LENGTH", "UnsafeWebhookUrl", "WebhookTarget", "check_webhook_url",
           "is_public_address", "parse_webhook_url", "resolve_target"]

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: controls (CR, LF, NUL, TAB...), space, DEL and the backslash that browsers read as "/"
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
#: a last label the URL standard reads as a number (so the host would be an address)
_NUMERIC_LABEL = re.compile(r"^(?:\d+|0x[0-9a-f]*)$")
#: names for machines on a local network, never on the Internet (RFC 6761, 6762, 8375, ICANN)
_LOCAL_SUFFIXES = ("localhost", "local", "localdomain", "internal", "intranet", "lan", "home",
                   "corp", "private", "home.arpa")
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64 and IPv4-compatible
_EMBEDS_IPV4 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))


class UnsafeWebhookUrl(ValueError):
    """The URL may not be called; the message says why, in words a subscriber can act on."""


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A parsed webhook URL. ``address`` is set when the host is an address literal."""

    url: str
    scheme: str
    host: str
    port: int
    #: path and query, as sent in the request line
    target: str
    address: IPAddress | None

    @property
    def authority(self) -> str:
        """The Host header: the host as given, with the port unless it is the scheme's own."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url_for(self, address: IPAddress) -> str:
        """The URL with its host replaced by ``address``: what the connection goes to."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{host}:{self.port}{self.target}"


def is_public_address(address: IPAddress) -> bool:
    """True for a global unicast address, including through an IPv6 form that embeds IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and any(address in net for net in _EMBEDS_IPV4):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not address.is_multicast


def _numeric(host: str) -> IPAddress | None:
    """The address ``host`` means to the resolver when it is a numeric form, else None."""
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return None
    return ipaddress.ip_address(infos[0][4][0])


def _check_name(host: str, *, allow_private: bool) -> None:
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UnsafeWebhookUrl("the host is not a valid host name (letters, digits and hyphens "
                               "between dots; no empty label and no trailing dot)")
    if _NUMERIC_LABEL.match(labels[-1]):
        raise UnsafeWebhookUrl("the host ends in a number but is not an address in its usual "
                               "form (a.b.c.d)")
    if allow_private:
        return
    if len(labels) < 2:
        raise UnsafeWebhookUrl("the host must be a fully qualified name (with a dot)")
    if any(host == s or host.endswith("." + s) for s in _LOCAL_SUFFIXES):
        raise UnsafeWebhookUrl("the host is a name for a local network, not a public one")


def parse_webhook_url(url: str, *, allow_private: bool) -> WebhookTarget:
    """Parse ``url`` as a webhook target; raises :class:`UnsafeWebhookUrl` saying why not."""
    schemes = ("https", "http") if allow_private else ("https",)
    absolute = f"an absolute {' or '.join(schemes)} URL of at most {MAX_URL_LENGTH} characters"
    if not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookUrl(absolute)
    if not url.isascii():
        raise UnsafeWebhookUrl("only ASCII: percent-encode the path, and give an international "
                               "host name in its xn-- form")
    if _FORBIDDEN.search(url):
        raise UnsafeWebhookUrl("no spaces, control characters (such as CR or LF) or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeWebhookUrl("the host or port cannot be read (a port is 1 to 65535)") from None
    if parts.scheme not in schemes or not parts.netloc:
        raise UnsafeWebhookUrl(absolute)
    if "@" in parts.netloc:
        raise UnsafeWebhookUrl("credentials in the URL are not accepted; verify the signature "
                               "instead")
    if "%" in parts.netloc:
        raise UnsafeWebhookUrl("the host may not be percent-encoded")
    if parts.fragment or url.endswith("#"):
        raise UnsafeWebhookUrl("a webhook URL has no fragment (#...)")
    host = parts.hostname or ""
    if not host:
        raise UnsafeWebhookUrl(absolute)
    if port is not None and not 1 <= port <= 65535:
        raise UnsafeWebhookUrl("the port must be between 1 and 65535")
    address: IPAddress | None
    if parts.netloc.startswith("["):
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            raise UnsafeWebhookUrl("the host in brackets is not an IPv6 address") from None
    else:
        address = _numeric(host)
        if address is not None and str(address) != host:
            raise UnsafeWebhookUrl(f"the host means {address} to a resolver: write an address "
                                   "in its usual form (a.b.c.d)")
        if address is None:
            _check_name(host, allow_private=allow_private)
    if address is not None and not allow_private and not is_public_address(address):
        raise UnsafeWebhookUrl("the host is not a public address")
    default = 443 if parts.scheme == "https" else 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(url=url, scheme=parts.scheme, host=host, port=port or default,
                         target=target, address=address)


def check_webhook_url(url: str, settings: Settings, *, pointer: str = "/url") -> str:
    """``url`` if acceptable as a webhook target; otherwise a 422 naming ``pointer``."""
    try:
        parse_webhook_url(url, allow_private=settings.webhook_allow_private)
    except UnsafeWebhookUrl as exc:
        raise InvalidInput("the webhook URL is not acceptable",
                           errors=[FieldError(pointer, str(exc))]) from None
    return url


async def _lookup(host: str, port: int) -> list[IPAddress]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def resolve_target(target: WebhookTarget, *, allow_private: bool) -> IPAddress:
    """The one address to connect to for ``target``: the name is resolved once, and every
    address it resolves to must be public (one inward answer is enough to refuse)."""
    if target.address is not None:
        return target.address
    try:
        addresses = await _lookup(target.host, target.port)
    except OSError as exc:
        raise UnsafeWebhookUrl(f"cannot resolve {target.host!r}: {exc}") from None
    if not addresses:
        raise UnsafeWebhookUrl(f"{target.host!r} resolves to no address")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise UnsafeWebhookUrl(
                    f"{target.host!r} resolves to {address}, which is not a public address "
                    "(IRIS_WEBHOOK_ALLOW_PRIVATE allows it)")
    return addresses[0]

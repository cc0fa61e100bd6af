"""One webhook POST: to the address that was checked, and, for a new webhook, the challenge.

The URL is parsed again with the rules it was accepted by (a row may predate them), its host
resolved once, and the connection made to that address with the original ``Host`` header and
TLS server name, so the certificate is still verified for the host the subscriber gave.
Keep-alive is off in the relay's client (``webhook_client``): a connection to an address is
never reused for another host name.

A new webhook is verified before it receives anything: we POST a signed ``webhook.verify``
message whose ``data.challenge`` the receiver must echo, as ``{"challenge": "<the value>"}``,
in a 2xx answer. Only then does its subscription become active.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import ssl

import httpx

from iris_engine import __version__
from iris_engine.outbox.urls import UnsafeWebhookUrl, parse_webhook_url, resolve_target

__all__ = ["VERIFY_TOPIC", "DeliveryError", "UndeliverableError", "post_webhook", "webhook_client"]

VERIFY_TOPIC = "webhook.verify"
#: the most of a receiver's answer we read, and only to find the echoed challenge
ANSWER_LIMIT = 4096


class DeliveryError(Exception):
    """The receiver did not take the message; it is tried again later."""


class UndeliverableError(DeliveryError):
    """No attempt can succeed (the URL is refused by the rules): the message is dead at once."""


def webhook_client(timeout: float, *, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """The relay's HTTP client. No proxy from the environment (it would resolve names itself,
    past our checks), no redirects, and no keep-alive: a connection to a pinned address must
    not serve another host name."""
    return httpx.AsyncClient(
        timeout=timeout, verify=verify, follow_redirects=False, trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
        headers={"User-Agent": f"IRIS-Engine/{__version__} (webhook)"})


def _echoes(answer: bytes, challenge: str) -> bool:
    try:
        document = json.loads(answer)
    except ValueError:
        return False
    echoed = document.get("challenge") if isinstance(document, dict) else None
    return isinstance(echoed, str) and hmac.compare_digest(echoed.encode(), challenge.encode())


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    answer = bytearray()
    async for chunk in response.aiter_raw():
        answer += chunk
        if len(answer) > limit:
            break
    return bytes(answer[:limit + 1])


async def post_webhook(http: httpx.AsyncClient, destination: str, body: bytes,
                       headers: dict[str, str], *, allow_private: bool, timeout: float,
                       challenge: str | None = None) -> None:
    """POST ``body`` to ``destination``; raises :class:`DeliveryError` unless the receiver
    answers 2xx (and echoes ``challenge`` when one is given), all within ``timeout`` seconds."""
    try:
        target = parse_webhook_url(destination, allow_private=allow_private)
    except UnsafeWebhookUrl as exc:
        raise UndeliverableError(f"{destination} is refused: {exc}") from None
    try:
        async with asyncio.timeout(timeout):
            try:
                address = await resolve_target(target, allow_private=allow_private)
            except UnsafeWebhookUrl as exc:
                raise DeliveryError(str(exc)) from None
            # the TLS server name (and so the certificate check) stays the host that was given
            extensions = {"sni_hostname": target.host} if target.address is None else {}
            async with http.stream("POST", target.url_for(address), content=body, extensions=extensions,
                                   headers={**headers, "Host": target.authority,
                                            "Accept-Encoding": "identity"}) as response:
                if not response.is_success:
                    raise DeliveryError(f"HTTP {response.status_code} from {destination}")
                if challenge is not None and not _echoes(
                        await _read_at_most(response, ANSWER_LIMIT), challenge):
                    raise DeliveryError(f"{destination} answered {response.status_code} without "
                                        'echoing the challenge as {"challenge": "..."}')
    except TimeoutError:
        raise DeliveryError(f"no answer from {destination} within {timeout:g} s") from None

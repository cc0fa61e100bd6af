"""The audit anchors, in public: the latest, the key that signs them, and webhooks for each."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import JSONBody

from iris_engine import bounds
from iris_engine.audit.anchors import ANCHOR_TOPIC
from iris_engine.audit.service import AuditTrail
from iris_engine.audit.signing import ALGORITHM
from iris_engine.errors import NotFound
from iris_engine.roster.controllers import SubscriptionView, subscription_view
from iris_engine.roster.subscriptions import Subscriptions
from iris_engine.web.problems import problem_responses

__all__ = ["audit_handlers"]

_PUBLIC = {"exclude_from_auth": True}


class AuditAnchorDocument(msgspec.Struct):
    """A signed statement of every case's chain head at one moment: the number of cases and
    events, and a SHA-256 digest of one ``<case id> <event number> <hash>`` line per case.
    ``signature`` is the Ed25519 signature (base64url) of this document without it, as
    compact, key-sorted JSON. Keep copies: a later audit trail that no longer holds an
    anchor's heads was cut."""

    format: str
    seq: int
    #: UTC, with microseconds, as signed
    taken_at: str
    cases: int
    events: int
    heads_digest: str
    algorithm: str
    #: the first 16 hex digits of the SHA-256 of the public key that signed
    key_id: str
    signature: str


class AuditAnchorKey(msgspec.Struct):
    """The public key that verifies the anchors. Check it against a copy published elsewhere
    (the scheme's website, its annual report): a server that was taken over could serve
    another."""

    algorithm: str
    key_id: str
    #: the raw 32-byte Ed25519 public key, base64url
    public_key: str
    #: signed with the built-in development key, with which anyone can sign: proves nothing
    development: bool


class AnchorSubscriptionRequest(msgspec.Struct, forbid_unknown_fields=True):
    """An https ``url`` that accepts POST."""

    url: bounds.Url


@get("/api/v1/audit/anchors/latest", operation_id="getLatestAuditAnchor", tags=["audit"],
     opt=_PUBLIC, cache_control=CacheControlHeader(public=True, max_age=60),
     responses=problem_responses(404))
async def latest_anchor(audit_trail: NamedDependency[AuditTrail]) -> AuditAnchorDocument:
    """The latest audit anchor: a signed digest of every case's chain head and the case count.

    Taken every IRIS_ANCHOR_INTERVAL_SECONDS; 404 until the first is taken.
    """
    anchor = await audit_trail.latest_anchor()
    if anchor is None:
        raise NotFound("no audit anchor has been taken yet")
    return AuditAnchorDocument(**anchor.document())


@get("/api/v1/audit/anchors/key", operation_id="getAuditAnchorKey", tags=["audit"], opt=_PUBLIC)
async def anchor_key(audit_trail: NamedDependency[AuditTrail]) -> AuditAnchorKey:
    """The public key that verifies the audit anchors' signatures."""
    signer = audit_trail.signer
    return AuditAnchorKey(algorithm=ALGORITHM, key_id=signer.key_id,
                          public_key=signer.public_key, development=signer.is_development)


@post("/api/v1/audit/anchors/subscriptions", operation_id="subscribeToAuditAnchors",
      tags=["audit"], opt={**_PUBLIC, "rate_limit": "subscription"}, status_code=201,
      responses=problem_responses(422, 429))
async def subscribe_to_anchors(subscriptions: NamedDependency[Subscriptions],
                               data: JSONBody[AnchorSubscriptionRequest]) -> SubscriptionView:
    """Receive every audit anchor as it is taken, by signed webhook (topic audit.anchor).

    Like every webhook it starts ``pending``: we POST it a signed ``webhook.verify`` message,
    and it must answer 2xx with ``{"challenge": "<data.challenge>"}`` before ``verify_by`` to
    become active. The answer holds the webhook's signing ``secret`` and a ``token`` to cancel
    it (POST /api/v1/subscriptions/cancel), both shown only now.
    """
    new = await subscriptions.subscribe(None, channel="webhook", url=data.url,
                                        topic=ANCHOR_TOPIC)
    return subscription_view(new.subscription, token=new.token, secret=new.secret,
                             detail="pending: we POST a signed challenge to your URL; echo its "
                                    'data.challenge as {"challenge": "..."} in a 2xx answer, '
                                    "and every audit anchor follows, signed (IRIS-Signature)")


audit_handlers: list[Any] = [latest_anchor, anchor_key, subscribe_to_anchors]

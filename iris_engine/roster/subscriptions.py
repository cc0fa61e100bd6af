"""Active Check: anyone who relies on a recruiter subscribes to its roster status and hears of
every change, by signed webhook (once it has echoed a challenge) or by e-mail (once confirmed).
Also the public change feed."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.clock import Clock
from iris_engine.errors import Conflict, FieldError, InvalidInput, NotFound
from iris_engine.outbox import enqueue
from iris_engine.outbox.store import subscription_secret_place
from iris_engine.outbox.urls import check_webhook_url
from iris_engine.outbox.webhooks import VERIFY_TOPIC
from iris_engine.roster.models import RosterChange, RosterEntry, Subscription
from iris_engine.settings import Settings
from iris_engine.store.db import Database, rows_in
from iris_engine.store.models import MAX_ID
from iris_engine.vault import Vault

__all__ = ["CHANNELS", "EMAIL_PATTERN", "ROSTER_TOPIC", "NewSubscription", "Subscriptions",
           "announce", "change_document"]

CHANNELS = ("webhook", "email")
#: a recruiter's roster status changed (a subscription to it names the recruiter)
ROSTER_TOPIC = "roster.status_changed"
#: one plain address (no display name, no list, no quoting, no address literal)
EMAIL_PATTERN = (r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                 r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_EMAIL = re.compile(EMAIL_PATTERN)
#: ``followers_of``'s statement, built once: what ``announce`` needs of each subscription
_FOLLOWERS = select(col(Subscription.id), col(Subscription.channel),
                    col(Subscription.target)).where(col(Subscription.lrn) == bindparam("lrn"),
                                                    col(Subscription.status) == "active")


class Follower(Protocol):
    """An active subscription, as ``announce`` reads it."""

    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def target(self) -> str: ...


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def change_document(change: RosterChange, public_url: str) -> dict[str, object]:
    """A change as the feed and the webhooks show it."""
    return {
        "seq": change.seq, "lrn": change.lrn, "name": change.name, "status": change.status,
        "previous_status": change.previous_status, "under_appeal": change.under_appeal,
        "valid_until": change.valid_until.isoformat(),
        "changed_at": change.changed_at.isoformat(),
        "entry_url": f"{public_url.rstrip('/')}/api/v1/roster/{change.lrn}",
    }


async def followers_of(session: AsyncSession, lrn: str) -> list[Follower]:
    """The active subscriptions to a recruiter's status changes (in a write transaction:
    ``rows_in``)."""
    return await rows_in(session, _FOLLOWERS, {"lrn": lrn})


def announce(session: AsyncSession, change: RosterChange, settings: Settings,
             subs: Sequence[Follower]) -> int:
    """Queue one message per active subscriber of the recruiter (``followers_of``), in the
    change's transaction."""
    document = change_document(change, settings.public_url)
    for sub in subs:
        if sub.channel == "webhook":
            enqueue(session, channel="webhook", destination=sub.target,
                    topic=ROSTER_TOPIC, payload={"data": document},
                    now=change.changed_at, subscription_id=sub.id)
        else:
            was = f" (was {change.previous_status})" if change.previous_status else ""
            status = f"{change.status}, under appeal" if change.under_appeal else change.status
            enqueue(session, channel="email", destination=sub.target,
                    topic=ROSTER_TOPIC, now=change.changed_at, subscription_id=sub.id,
                    payload={
                        "subject": f"[IRIS roster] {change.name} ({change.lrn}) is now {status}",
                        "text": "\n".join([
                            f"{change.name}, certificate {change.lrn}, is now {status}{was} "
                            f"on the IRIS roster, since {change.changed_at:%d %B %Y %H:%M} UTC.",
                            f"Certificate valid until {change.valid_until:%d %B %Y}.", "",
                            f"Check it at the source: {document['entry_url']}", "",
                            "You receive this because you subscribed to this recruiter's status. "
                            "To stop, paste the token from your confirmation e-mail at "
                            f"{settings.public_url.rstrip('/')}/roster/subscriptions/cancel "
                            "(or POST it to "
                            f"{settings.public_url.rstrip('/')}/api/v1/subscriptions/cancel).",
                        ]),
                    })
    return len(subs)


@dataclass(frozen=True, slots=True)
class NewSubscription:
    subscription: Subscription
    #: cancels the subscription; given once (webhook), or by e-mail with the confirmation
    token: str | None
    #: signs webhook deliveries; given once
    secret: str | None


def _challenge(session: AsyncSession, sub: Subscription, entry: RosterEntry | None,
               verify_by: datetime) -> None:
    """Queue the signed challenge a new webhook must echo before it hears of anything."""
    about = {"lrn": entry.lrn, "name": entry.name} if entry else {}
    enqueue(session, channel="webhook", destination=sub.target, topic=VERIFY_TOPIC,
            now=sub.created_at, subscription_id=sub.id, payload={"data": {
                "challenge": secrets.token_urlsafe(32), "topic": sub.topic, **about,
                "verify_by": verify_by.isoformat(),
                "answer": 'HTTP 2xx with the JSON body {"challenge": "<data.challenge>"}'}})


class Subscriptions:
    def __init__(self, db: Database, settings: Settings, clock: Clock, vault: Vault) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.vault = vault

    def _check_target(self, channel: str, url: str | None, email: str | None) -> str:
        if channel not in CHANNELS:
            raise InvalidInput("unknown channel", errors=[FieldError(
                "/channel", f"one of: {', '.join(CHANNELS)}")])
        if channel == "email":
            if url is not None or not email or len(email) > 320 or not _EMAIL.match(email):
                raise InvalidInput("an e-mail subscription needs an e-mail address", errors=[
                    FieldError("/email", "a valid e-mail address (and no url)")])
            return email.strip()
        if email is not None or not url:
            raise InvalidInput("a webhook subscription needs a URL", errors=[
                FieldError("/url", "an https URL that accepts POST (and no email)")])
        return check_webhook_url(url, self.settings)

    async def subscribe(self, lrn: str | None, *, channel: str, url: str | None = None,
                        email: str | None = None, topic: str = ROSTER_TOPIC) -> NewSubscription:
        """Subscribe to the status changes of the recruiter ``lrn``, or (``lrn`` None) to
        another ``topic`` the platform publishes, by webhook only."""
        assert (lrn is None) == (topic != ROSTER_TOPIC), "an lrn goes with the roster topic"
        if lrn is None and channel != "webhook":
            raise InvalidInput(f"{topic} is sent to webhooks only", errors=[FieldError(
                "/channel", "webhook")])
        target = self._check_target(channel, url, email)
        now = self.clock()
        token = secrets.token_urlsafe(32)
        secret = secrets.token_urlsafe(32) if channel == "webhook" else None
        async with self.db.write() as session:
            entry = None
            if lrn is not None:
                entry = await session.get(RosterEntry, lrn.strip().upper())
                if entry is None:
                    raise NotFound(f"no recruiter with certificate number {lrn!r} on the roster")
            verify_by = now + timedelta(hours=self.settings.webhook_verify_hours)
            sub = Subscription(topic=topic, lrn=entry.lrn if entry else None, channel=channel,
                               target=target, token_hash=_hash(token), status="pending",
                               created_at=now,
                               verify_by=verify_by if channel == "webhook" else None)
            session.add(sub)
            await session.flush()
            if secret is not None:  # sealed at rest, like every secret we must be able to read
                sub.secret = self.vault.seal(secret, place=subscription_secret_place(sub.id or 0))
                _challenge(session, sub, entry, verify_by)
            if channel == "email":
                assert entry is not None
                base = self.settings.public_url.rstrip("/")
                enqueue(session, channel="email", destination=target, topic="subscription.confirm",
                        now=now, subscription_id=sub.id, payload={
                            "subject": f"[IRIS roster] Confirm updates about {entry.name}",
                            "text": "\n".join([
                                f"Someone (we hope you) asked to hear when the IRIS roster status "
                                f"of {entry.name} ({entry.lrn}) changes.", "",
                                f"To confirm, open {base}/roster/subscriptions/confirm and "
                                "paste this token there (or POST it to "
                                f"{base}/api/v1/subscriptions/confirm):", "", f"    {token}", "",
                                "Keep it: the same token, pasted at "
                                f"{base}/roster/subscriptions/cancel (or POSTed to "
                                f"{base}/api/v1/subscriptions/cancel), stops the messages. If "
                                "you did not ask, ignore this e-mail; nothing will be sent."]),
                        })
                return NewSubscription(sub, None, None)
            return NewSubscription(sub, token, secret)

    async def _by_token(self, session: AsyncSession, token: str) -> Subscription:
        sub = (await session.scalars(select(Subscription).where(
            col(Subscription.token_hash) == _hash(token)).with_for_update())).first()
        if sub is None:
            raise NotFound("no subscription has this token")
        return sub

    async def confirm(self, token: str) -> Subscription:
        async with self.db.write() as session:
            sub = await self._by_token(session, token)
            if sub.channel == "webhook":
                # the token is the subscriber's; only the receiver can answer the challenge
                raise Conflict("a webhook is confirmed by echoing the challenge POSTed to it, "
                               "not with its token")
            if sub.status == "cancelled":
                raise Conflict("this subscription was cancelled; subscribe again")
            if sub.status == "pending":
                sub.status, sub.confirmed_at = "active", self.clock()
            return sub

    async def settle_challenge(self, session: AsyncSession, subscription_id: int, *,
                               answered: bool, now: datetime) -> None:
        """The relay's word on a webhook's challenge: echoed in time (the webhook becomes
        active), or never (it expires). Called in the relay's transaction."""
        sub = (await session.scalars(select(Subscription).where(
            col(Subscription.id) == subscription_id).with_for_update())).first()
        if sub is None or sub.status != "pending" or sub.channel != "webhook":
            return
        if answered and (sub.verify_by is None or now <= sub.verify_by):
            sub.status, sub.confirmed_at = "active", now
        else:
            sub.status = "expired"

    async def cancel(self, token: str) -> Subscription:
        async with self.db.write() as session:
            sub = await self._by_token(session, token)
            if sub.status != "cancelled":
                sub.status, sub.cancelled_at = "cancelled", self.clock()
            return sub

    async def changes(self, since: int, limit: int) -> list[dict[str, object]]:
        errors = []
        if not 0 <= since <= MAX_ID:
            errors.append(FieldError("/query/since", "a change number: next_since from the last page, "
                                     "or 0"))
        if not 1 <= limit <= 500:
            errors.append(FieldError("/query/limit", "between 1 and 500"))
        if errors:
            raise InvalidInput("the change-feed query is invalid", errors=errors)
        async with self.db.read() as session:
            rows = (await session.scalars(
                select(RosterChange).where(col(RosterChange.seq) > since)
                .order_by(col(RosterChange.seq)).limit(limit)
            )).all()
            return [change_document(r, self.settings.public_url) for r in rows]

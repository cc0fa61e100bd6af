"""Delivers claimed outbox messages, outside any database transaction, then records each
result: delivered; or another attempt later (exponential back-off with jitter); or dead.

Delivery is at-least-once: a process that dies after sending and before recording sends the
message again when its claim lapses. That is why every message carries an idempotency key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, cast

import aiosmtplib
import httpx
from sqlalchemy import or_, select, update
from sqlmodel import col

from iris_engine.disclosure.models import Authority
from iris_engine.failures import said, traceback_of
from iris_engine.outbox.signing import SIGNATURE_HEADER, sign
from iris_engine.outbox.store import authority_secret_place, subscription_secret_place
from iris_engine.outbox.webhooks import (
    VERIFY_TOPIC,
    DeliveryError,
    UndeliverableError,
    post_webhook,
    webhook_client,
)
from iris_engine.roster.models import Subscription
from iris_engine.store.models import OutboxMessage

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

    from iris_engine.services import Services

__all__ = ["DeliveryError", "OutboxRelay", "RelayReport"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RelayReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0

    def add(self, other: RelayReport) -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.dead += other.dead


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    key: str
    channel: str
    destination: str
    topic: str
    payload: dict[str, Any]
    attempts: int
    secret: str | None
    subscription_id: int | None
    #: for a webhook's challenge: whether its subscription still waits for it, and until when
    verifying: bool = False
    verify_by: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Outcome:
    error: str | None = None
    #: no later attempt can succeed: the message is dead at once
    final: bool = False


class OutboxRelay:
    def __init__(self, services: Services, worker_id: str, *,
                 http: httpx.AsyncClient | None = None, rng: random.Random | None = None) -> None:
        self.services = services
        self.settings = services.settings
        self.worker_id = worker_id
        self.http = http or webhook_client(self.settings.webhook_timeout_seconds)
        self.rng = rng or random.Random()
        self._sending = asyncio.Semaphore(16)

    async def aclose(self) -> None:
        await self.http.aclose()

    def backoff(self, attempts: int) -> timedelta:
        """Delay after the ``attempts``-th failure: doubling from the base, capped, with jitter
        over the upper half so that receivers coming back up are not hit all at once."""
        ceiling = min(self.settings.outbox_backoff_max_seconds,
                      self.settings.outbox_backoff_seconds * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=ceiling / 2 + self.rng.uniform(0, ceiling / 2))

    async def claim(self, limit: int) -> list[_Claimed]:
        now = self.services.clock()
        lease = now + timedelta(seconds=self.settings.claim_seconds)
        due = (
            select(col(OutboxMessage.id))
            .where(col(OutboxMessage.status) == "pending", col(OutboxMessage.next_attempt_at) <= now,
                   or_(col(OutboxMessage.claimed_until).is_(None),
                       col(OutboxMessage.claimed_until) < now))
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if not self.settings.smtp_host:  # e-mail waits until a server is configured
            due = due.where(col(OutboxMessage.channel) != "email")
        async with self.services.db.write() as session:
            ids = list((await session.scalars(
                update(OutboxMessage).where(col(OutboxMessage.id).in_(due.scalar_subquery()))
                .values(claimed_by=self.worker_id, claimed_until=lease)
                .returning(col(OutboxMessage.id))
            )).all())
            if not ids:
                return []
            rows = (await session.execute(
                select(OutboxMessage, col(Subscription.secret), col(Authority.webhook_secret_sealed),
                       col(Subscription.status), col(Subscription.verify_by))
                .outerjoin(Subscription, col(Subscription.id) == col(OutboxMessage.subscription_id))
                .outerjoin(Authority, col(Authority.id) == col(OutboxMessage.authority_id))
                .where(col(OutboxMessage.id).in_(ids)).order_by(col(OutboxMessage.id))
            )).all()
            return [_Claimed(m.id or 0, m.idempotency_key, m.channel, m.destination, m.topic,
                             dict(m.payload), m.attempts, self._secret(m, sub_secret, authority_secret),
                             m.subscription_id, verifying=sub_status == "pending",
                             verify_by=verify_by)
                    for m, sub_secret, authority_secret, sub_status, verify_by in rows]

    def _secret(self, message: OutboxMessage, subscription: str | None,
                authority: str | None) -> str | None:
        """The webhook's signing secret, unsealed for this delivery only."""
        vault = self.services.vault
        if subscription is not None and not vault.is_sealed(subscription):
            return subscription  # stored before secrets were sealed; `iris keys rotate` seals it
        if subscription is not None:
            place = subscription_secret_place(message.subscription_id or 0)
            return cast(str, vault.open(subscription, place=place))  # sealed as a string
        if authority is not None:
            place = authority_secret_place(message.authority_id or 0)
            return cast(str, vault.open(authority, place=place))
        return None

    async def run_once(self, limit: int | None = None) -> RelayReport:
        """Claim one batch, deliver it concurrently, record every result."""
        claimed = await self.claim(limit or self.settings.tick_batch)
        report = RelayReport(claimed=len(claimed))
        if not claimed:
            return report
        outcomes = await asyncio.gather(*(self._deliver(m) for m in claimed))
        now = self.services.clock()
        async with self.services.db.write() as session:
            for message, outcome in zip(claimed, outcomes, strict=True):
                mine = update(OutboxMessage).where(
                    col(OutboxMessage.id) == message.id, col(OutboxMessage.claimed_by) == self.worker_id,
                    col(OutboxMessage.status) == "pending",
                )
                attempts = message.attempts + 1
                error = outcome.error
                # a webhook's challenge is retried until its verify_by (the subscriber was
                # promised that long), however many attempts that takes; it expires only then
                challenge_until = (message.verify_by if message.topic == VERIFY_TOPIC
                                   and message.verify_by is not None
                                   and now < message.verify_by else None)
                if error is None:
                    values: dict[str, Any] = {"status": "delivered", "delivered_at": now,
                                              "last_error": None}
                    report.delivered += 1
                elif outcome.final or (attempts >= self.settings.outbox_max_attempts
                                       and challenge_until is None):
                    values = {"status": "dead", "last_error": error}
                    report.dead += 1
                    log.warning("outbox message %s is dead after %s attempts: %s",
                                message.id, attempts, error)
                else:
                    retry_at = now + self.backoff(attempts)
                    if challenge_until is not None:  # one last try when the window closes
                        retry_at = min(retry_at, challenge_until + timedelta(seconds=1))
                    values = {"next_attempt_at": retry_at, "last_error": error}
                    report.retrying += 1
                recorded = cast("CursorResult[Any]", await session.execute(mine.values(
                    attempts=attempts, claimed_by=None, claimed_until=None, **values)))
                settled = values.get("status")
                if (message.topic == VERIFY_TOPIC and message.subscription_id is not None
                        and settled is not None and recorded.rowcount == 1):
                    # the subscription's owner turns the answer into active, or expired
                    await self.services.subscriptions.settle_challenge(
                        session, message.subscription_id, answered=settled == "delivered", now=now)
        return report

    async def _deliver(self, message: _Claimed) -> _Outcome:
        """Send one message; answers no error when the receiver took it."""
        async with self._sending:
            try:
                if message.channel == "webhook":
                    await self._post(message)
                else:
                    await self._mail(message)
            except UndeliverableError as exc:
                return _Outcome(f"{type(exc).__name__}: {exc}"[:2000], final=True)
            except (DeliveryError, httpx.HTTPError, aiosmtplib.SMTPException, OSError) as exc:
                return _Outcome(f"{type(exc).__name__}: {exc}"[:2000])
            except Exception as exc:  # one bad message must not stall its batch
                log.error("outbox message %s could not be sent\n%s", message.id,
                          traceback_of(exc))
                return _Outcome(said(exc)[:2000])
        return _Outcome()

    async def _post(self, message: _Claimed) -> None:
        if message.secret is None:
            raise DeliveryError("no signing secret for this webhook")
        challenge = None
        if message.topic == VERIFY_TOPIC:
            if not message.verifying:
                raise UndeliverableError("the subscription no longer waits for this challenge")
            if message.verify_by is not None and self.services.clock() > message.verify_by:
                raise UndeliverableError("the challenge expired unanswered")
            challenge = str(message.payload["data"]["challenge"])
        body = json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(self.services.clock().timestamp())
        await post_webhook(self.http, message.destination, body, {
            "Content-Type": "application/json",
            "Idempotency-Key": message.key,
            "IRIS-Topic": message.topic,
            "IRIS-Delivery-Attempt": str(message.attempts + 1),
            SIGNATURE_HEADER: sign(message.secret, timestamp, body),
        }, allow_private=self.settings.webhook_allow_private,
            timeout=self.settings.webhook_timeout_seconds, challenge=challenge)

    async def _mail(self, message: _Claimed) -> None:
        email = EmailMessage()
        email["From"] = self.settings.mail_from
        email["To"] = message.destination
        email["Subject"] = message.payload.get("subject", "IRIS Engine")
        # one Message-ID per message (not per attempt): mail systems can drop repeats
        email["Message-ID"] = f"<{message.key}@iris-engine>"
        email["Idempotency-Key"] = message.key
        email.set_content(message.payload.get("text", ""))
        await aiosmtplib.send(
            email, hostname=self.settings.smtp_host, port=self.settings.smtp_port,
            username=self.settings.smtp_username or None,
            password=self.settings.smtp_password or None,
            start_tls=self.settings.smtp_starttls, timeout=self.settings.webhook_timeout_seconds,
        )

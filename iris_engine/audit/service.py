"""The audit trail as a service: verify it, anchor it (on demand or when due), publish anchors.

Taking an anchor: read every case's head in one statement; refuse when the trail no longer
holds the last anchor in the folder (a tail cut or a case deleted since: signing the trail as
it now is would launder that); sign; then, in one transaction, record it, queue it for the
webhook subscribers, write its file and its log line before the commit. Two processes that
take the same number at once: the second fails on the first's row and writes nothing. (A
commit that fails after the file is written leaves a file that is still a true statement of
the trail; the next anchor takes the number again, under another file name.) When an
anchor falls due, only the process that holds the claim (``Database.exclusive``) reads the
heads; the others try again later, when they find it taken.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.audit.anchors import ANCHOR_TOPIC, Anchor, AnchorError, heads_digest
from iris_engine.audit.folder import AnchorFolder
from iris_engine.audit.heads import anchor_departures, current_heads
from iris_engine.audit.models import AuditAnchor
from iris_engine.audit.signing import AnchorSigner
from iris_engine.audit.verify import TrailReport, verify_trail
from iris_engine.cases.audit import format_time
from iris_engine.cases.notes import EventNotes
from iris_engine.clock import Clock
from iris_engine.domain import Domain
from iris_engine.errors import Conflict
from iris_engine.outbox import enqueue
from iris_engine.roster.models import Subscription
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.vault import Vault
from iris_engine.workflow import WorkflowCatalog

__all__ = ["AnchorRace", "AnchorRefused", "AuditTrail"]

log = logging.getLogger(__name__)

#: after a failed periodic anchor, the next try comes after the interval or this, if sooner
_RETRY = timedelta(minutes=10)
#: held (``Database.exclusive``) by the one process taking the periodic anchor: every serving
#: process ticks, and each reading and hashing every case's head (seconds of CPU at a million
#: cases) to find the number taken when it records it would waste all but one's work
_CLAIM = "audit-anchor"


class AnchorRefused(Conflict):
    """The trail no longer holds the last anchor: anchoring it now would hide the loss."""

    title = "The audit trail no longer holds its last anchor"
    slug = "anchor-refused"

    def __init__(self, previous: Anchor, problems: Sequence[str]) -> None:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more"
                                           if len(problems) > 5 else "")
        super().__init__(f"no anchor taken: the trail no longer holds anchor {previous.seq} "
                         f"({previous.taken_at}): {shown}",
                         extra={"anchor": previous.seq, "problems": list(problems)})
        self.problems = list(problems)


class AnchorRace(AnchorError):
    """Another process took the same anchor number at the same moment (it is recorded)."""


def _anchor_of(row: AuditAnchor) -> Anchor:
    return Anchor(seq=row.seq, taken_at=format_time(row.taken_at), cases=row.cases,
                  events=row.events, heads_digest=row.heads_digest, key_id=row.key_id,
                  signature=row.signature)


class AuditTrail:
    """Verifies the trail, takes its anchors, answers the latest (the services hold one)."""

    def __init__(self, db: Database, settings: Settings, clock: Clock, catalog: WorkflowCatalog,
                 domains: Sequence[Domain], signer: AnchorSigner, vault: Vault) -> None:
        self.db = db
        self.notes = EventNotes(vault)
        self.clock = clock
        self.catalog = catalog
        self.domains = tuple(domains)
        self.signer = signer
        self.folder = AnchorFolder(settings.anchor_dir)
        self.interval = timedelta(seconds=settings.anchor_interval_seconds)
        self._next_try: datetime | None = None

    async def verify(self, anchor: Anchor | None = None) -> TrailReport:
        async with self.db.snapshot() as session:
            return await verify_trail(session, self.catalog, self.domains, notes=self.notes,
                                      anchor=anchor)

    async def _latest_row(self) -> AuditAnchor | None:
        async with self.db.read() as session:
            return (await session.scalars(
                select(AuditAnchor).order_by(col(AuditAnchor.seq).desc()).limit(1))).first()

    async def latest_anchor(self) -> Anchor | None:
        """The last anchor taken (its public document: no heads)."""
        row = await self._latest_row()
        return _anchor_of(row) if row is not None else None

    async def take_anchor(self, *, force: bool = False) -> tuple[Anchor, str]:
        """Anchor the trail now; answers the anchor and its file. ``force`` anchors a trail
        that no longer holds the last anchor (after an investigation: the older anchor files
        still show what was lost)."""
        previous = await asyncio.to_thread(self.folder.latest)
        async with self.db.snapshot() as session:
            last = int(await session.scalar(select(func.max(col(AuditAnchor.seq)))) or 0)
            taken_at = self.clock()
            heads = await current_heads(session)
            problems = (await anchor_departures(session, previous, heads)
                        if previous is not None else [])
        if previous is not None and previous.seq > last:
            problems.append(f"the database records anchors up to {last}, but anchor "
                            f"{previous.seq} is in {self.folder.path}: anchor rows were removed")
        if problems and previous is not None and not force:
            raise AnchorRefused(previous, problems)
        # a million heads hashed and counted: in a thread, the event loop free meanwhile
        events, digest = await asyncio.to_thread(
            lambda: (sum(seq for _, seq, _ in heads), heads_digest(heads)))
        anchor = Anchor(seq=last + 1, taken_at=format_time(taken_at), cases=len(heads),
                        events=events, heads_digest=digest, key_id=self.signer.key_id,
                        heads=tuple(heads))
        anchor = dataclasses.replace(anchor, signature=self.signer.sign(anchor.signed_part()))
        try:
            async with self.db.write() as session:
                session.add(AuditAnchor(seq=anchor.seq, taken_at=taken_at, cases=anchor.cases,
                                        events=anchor.events, heads_digest=anchor.heads_digest,
                                        key_id=anchor.key_id, signature=anchor.signature))
                await self._publish(session, anchor, taken_at)
                await session.flush()  # a process that took this number first: fails here
                path = await asyncio.to_thread(self.folder.write, anchor)
        except IntegrityError:
            raise AnchorRace(f"anchor {anchor.seq} was taken by another process at the same "
                             "moment; this one wrote nothing") from None
        log.info("audit anchor %s", json.dumps(anchor.document(), sort_keys=True))
        return anchor, str(path)

    @staticmethod
    async def _publish(session: AsyncSession, anchor: Anchor, now: datetime) -> None:
        """Queue the anchor's document for every webhook that subscribed to anchors."""
        subscribers = (await session.scalars(select(Subscription).where(
            col(Subscription.topic) == ANCHOR_TOPIC, col(Subscription.status) == "active",
            col(Subscription.channel) == "webhook"))).all()
        for sub in subscribers:
            enqueue(session, channel="webhook", destination=sub.target, topic=ANCHOR_TOPIC,
                    payload={"data": anchor.document()}, now=now, subscription_id=sub.id)

    async def anchor_if_due(self) -> Anchor | None:
        """The ticker's step: anchor when the interval since the last anchor has passed. A
        refusal is logged as critical at each try: it means the trail was tampered with."""
        if self.interval <= timedelta(0):
            return None
        now = self.clock()
        if self._next_try is not None and now < self._next_try:
            return None
        async with AsyncExitStack() as claim:
            try:
                held = await claim.enter_async_context(self.db.exclusive(_CLAIM))
            except OSError as exc:  # SQLite's lock file could not be opened
                log.error("no audit anchor taken: it could not be claimed: %s", exc)
            else:
                if held:
                    return await self._anchor_when_due(now)
                # another process is taking it: no second read of every head
                log.debug("another process is taking the audit anchor")
        self._next_try = now + min(self.interval, _RETRY)
        return None

    async def _anchor_when_due(self, now: datetime) -> Anchor | None:
        latest = await self._latest_row()  # read under the claim: not one just taken
        if latest is not None:
            due = latest.taken_at + self.interval
            if now < due:
                self._next_try = due
                return None
        try:
            anchor, _ = await self.take_anchor()
        except AnchorRace as exc:  # a process that takes no claim (an older version) won
            log.info("%s", exc.detail)
            self._next_try = None
            return None
        except AnchorRefused as exc:
            log.critical("audit trail tampered with: %s", exc.detail)
        except (AnchorError, OSError) as exc:
            log.error("no audit anchor taken: %s", getattr(exc, "detail", exc))
        else:
            self._next_try = now + self.interval
            return anchor
        self._next_try = now + min(self.interval, _RETRY)
        return None


"""The ticker: APScheduler only says "now"; the work is claiming due rows from our own tables
(and, every IRIS_ANCHOR_INTERVAL_SECONDS, taking the audit anchor).

``iris serve`` runs a ticker in its lifespan (IRIS_SCHEDULER=false turns it off) and
``iris worker`` runs one alone. Any number may tick against one PostgreSQL database: rows are
claimed, never shared, and a claim left by a dead process lapses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from iris_engine.audit import Anchor
from iris_engine.failures import traceback_of
from iris_engine.outbox import OutboxRelay, RelayReport
from iris_engine.services import Services
from iris_engine.timers import SweepReport, TimerSweeper

__all__ = ["TickReport", "Ticker", "start_scheduler", "stop_ticking"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TickReport:
    timers: SweepReport = field(default_factory=SweepReport)
    outbox: RelayReport = field(default_factory=RelayReport)
    #: the audit anchor this tick took, when one was due
    anchor: Anchor | None = None


class Ticker:
    def __init__(self, services: Services, worker_id: str | None = None, *,
                 http: httpx.AsyncClient | None = None) -> None:
        self.services = services
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.timers = TimerSweeper(services, self.worker_id)
        self.outbox = OutboxRelay(services, self.worker_id, http=http)
        self._busy = asyncio.Lock()
        self._stopping = False

    async def tick(self, *, budget_seconds: float | None = None) -> TickReport:
        """Fire every due timer, take the audit anchor when one is due, then deliver every due
        message, batch after batch, until none is left or the time budget is spent (the rest
        waits for the next tick)."""
        settings = self.services.settings
        budget = settings.tick_seconds * 4 if budget_seconds is None else budget_seconds
        started = time.monotonic()
        report = TickReport()

        async def drain(step: Callable[[], Awaitable[Any]], into: Any) -> None:
            while True:
                batch = await step()
                into.add(batch)
                # a full batch may mean more is due
                if (batch.claimed < settings.tick_batch or time.monotonic() - started > budget
                        or self._stopping):
                    return

        await drain(self._sweep, report.timers)
        # before the outbox: the anchor's webhooks leave in the same tick
        report.anchor = await self.services.audit.anchor_if_due()
        await drain(self.outbox.run_once, report.outbox)
        return report

    async def _sweep(self) -> SweepReport:
        """One batch of timers, then what the batch erased (a retention purge) is reclaimed on
        disk: SQLite's log checkpointed, PostgreSQL's tables vacuumed (``Database.reclaim``)."""
        batch = await self.timers.sweep()
        try:
            await self.services.db.reclaim()
        except Exception as exc:  # the erasure itself has committed; reclaiming is tried again
            log.error("reclaiming erased data on disk failed; the next batch tries again\n%s",
                      traceback_of(exc))
        return batch

    async def scheduled_tick(self) -> None:
        """The APScheduler job: one tick, its failures logged rather than raised."""
        if self._stopping:
            return
        try:
            async with self._busy:
                report = await self.tick()
        except Exception as exc:
            log.error("tick failed; the next tick will try again\n%s", traceback_of(exc))
            return
        if report.timers.claimed or report.outbox.claimed:
            log.info("tick: timers %s, outbox %s", report.timers, report.outbox)

    def finish_soon(self) -> None:
        """Start no new batch: a running tick ends once its current batch is done and recorded."""
        self._stopping = True

    async def stop(self, timeout: float = 30.0) -> None:
        """Let a running tick finish its batch (claims it did not reach lapse and are retried
        elsewhere), then close the HTTP client."""
        self._stopping = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout), self._busy:
                pass
        await self.outbox.aclose()


def start_scheduler(ticker: Ticker) -> AsyncIOScheduler:
    """Start ticking on the running event loop: at once, then every IRIS_TICK_SECONDS. One
    tick at a time per process; a tick still running when the next is due lets it pass."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(ticker.scheduled_tick, "interval", id="tick", name="iris tick",
                      seconds=ticker.services.settings.tick_seconds, max_instances=1,
                      coalesce=True, next_run_time=datetime.now(UTC))
    scheduler.start()
    return scheduler


async def stop_ticking(scheduler: AsyncIOScheduler, ticker: Ticker) -> None:
    """Stop cleanly: no new tick, the running one finishes its batch and records it, then the
    scheduler goes. (Shutting the scheduler down first would cancel the running tick mid-send,
    leaving its messages claimed until the claim lapses.)"""
    scheduler.pause()
    await ticker.stop()
    scheduler.shutdown(wait=False)

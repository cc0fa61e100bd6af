"""``iris worker`` stopped by SIGTERM (a deploy, systemd, Kubernetes) mid-delivery: it finishes
the batch in hand, records it, and exits 0 without a traceback, in a real subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from iris_engine.clock import utcnow
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import OutboxMessage
from tests.integration.test_fuzz_public_api import _free_port, _iris


class SlowMailServer:
    """Takes a message, but only after ``delay`` seconds: the worker is mid-send meanwhile."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.receiving = threading.Event()
        self.received: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receiving.set()
        await asyncio.sleep(self.delay)
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


def _in_session(database_url: str, work: Any) -> Any:
    async def go() -> Any:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.write() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(go())


def _queue_mail(database_url: str) -> int:
    async def add(session: Any) -> int:
        now = utcnow()
        message = OutboxMessage(idempotency_key="sigterm-test", channel="email",
                                destination="worker@shutdown.example", topic="test.sigterm",
                                payload={"subject": "hello", "text": "in flight"},
                                next_attempt_at=now - timedelta(seconds=1), created_at=now)
        session.add(message)
        await session.flush()
        return message.id or 0

    return int(_in_session(database_url, add))


def _message(database_url: str, message_id: int) -> OutboxMessage:
    async def read(session: Any) -> OutboxMessage:
        return (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.id == message_id))).one()  # type: ignore[arg-type]

    return _in_session(database_url, read)  # type: ignore[no-any-return]


@pytest.mark.parametrize("mode", [["--once"], []], ids=["once", "ticking"])
def test_sigterm_mid_delivery_finishes_the_batch_and_exits_0(
        database_url: str, tmp_path: Path, mode: list[str]) -> None:
    message_id = _queue_mail(database_url)
    mail = SlowMailServer(delay=2.0)
    port = _free_port()
    controller = Controller(mail, hostname="127.0.0.1", port=port)
    controller.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_")}
    env.update({"IRIS_DATABASE_URL": database_url, "IRIS_SMTP_HOST": "127.0.0.1",
                "IRIS_SMTP_PORT": str(port), "IRIS_TICK_SECONDS": "1",
                "IRIS_SECRET_KEY": "worker-signal-test-secret-of-32-bytes!"})
    out = tmp_path / "worker.log"
    try:
        with out.open("wb") as log:
            worker = subprocess.Popen(_iris("worker", *mode), env=env, stdout=log,
                                      stderr=subprocess.STDOUT)
            try:
                assert mail.receiving.wait(timeout=60), out.read_text()
                worker.send_signal(signal.SIGTERM)  # while the message is being sent
                started = time.monotonic()
                code = worker.wait(timeout=60)
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
    finally:
        controller.stop()
    output = out.read_text()
    assert code == 0, output
    assert "Traceback" not in output, output
    assert time.monotonic() - started < 30, "it should stop as soon as the batch is recorded"
    # the send in flight was finished and its result recorded, not left claimed
    assert mail.received == ["worker@shutdown.example"]
    message = _message(database_url, message_id)
    assert (message.status, message.attempts, message.claimed_by) == ("delivered", 1, None)

"""Dead letters: a webhook that keeps failing is dead after IRIS_OUTBOX_MAX_ATTEMPTS, is
listed by `iris outbox list --status dead`, and `iris outbox retry` re-drives it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from click.testing import CliRunner, Result

from iris_engine.cli import main
from tests.integration.conftest import Cast, World
from tests.integration.test_outbox import (
    WebhookReceiver,
    accredited_lrn,
    outbox_rows,
    subscribe_webhook,
    suspend,
)

ALWAYS = 10**6


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"outbox_max_attempts": 2}


async def iris(world: World, *args: str) -> Result:
    """Run the `iris` command line against the world's database (in a thread: it runs its
    own event loop)."""
    env = {"IRIS_DATABASE_URL": world.settings.database_url}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


async def test_dead_letter_listed_and_redriven(world: World, cast: Cast) -> None:
    assert world.settings.outbox_max_attempts == 2
    case_id, lrn = await accredited_lrn(cast)
    async with WebhookReceiver(world.clock, fail_first=ALWAYS) as receiver:
        sub = await subscribe_webhook(world, lrn, receiver.url)
        receiver.secret = sub["secret"]
        await suspend(cast, case_id)

        report = await world.tick()
        assert (report.outbox.claimed, report.outbox.retrying, report.outbox.dead) == (1, 1, 0)
        world.clock.advance(days=1)
        report = await world.tick()
        assert (report.outbox.claimed, report.outbox.retrying, report.outbox.dead) == (1, 0, 1)
        [row] = await outbox_rows(world, topic="roster.status_changed")
        assert (row.status, row.attempts) == ("dead", 2)
        assert row.last_error == f"DeliveryError: HTTP 500 from {receiver.url}"
        # a dead message is left alone
        world.clock.advance(days=1)
        assert (await world.tick()).outbox.claimed == 0
        assert len(receiver.requests) == 2

        listed = await iris(world, "outbox", "list", "--status", "dead")
        assert listed.exit_code == 0, listed.output
        lines = [line for line in listed.output.splitlines() if line.strip()]
        assert len(lines) == 2, listed.output  # the message and its last error; no held e-mail
        assert re.fullmatch(rf"\s*{row.id}\s+dead\s+2 tries\s+webhook\s+roster\.status_changed\s+"
                            rf"{re.escape(receiver.url)}", lines[0]), lines[0]
        assert lines[1].strip() == f"last error: DeliveryError: HTTP 500 from {receiver.url}"

        retried = await iris(world, "outbox", "retry", str(row.id))
        assert retried.exit_code == 0, retried.output
        assert f"re-driven: {row.id}" in retried.output
        [row] = await outbox_rows(world, topic="roster.status_changed")
        assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)
        listed = await iris(world, "outbox", "list", "--status", "dead")
        assert listed.exit_code == 0 and listed.output.strip() == "no messages dead"

        receiver.fail_first = 0  # the receiver is fixed
        report = await world.tick()
        assert (report.outbox.claimed, report.outbox.delivered) == (1, 1)
        world.clock.advance(days=1)
        assert (await world.tick()).outbox.claimed == 0

        # only a dead message can be re-driven; an id that is not dead (or unknown) exits 1
        for not_dead in (row.id, 999_999):
            again = await iris(world, "outbox", "retry", str(not_dead))
            assert again.exit_code == 1, again.output
            assert f"not dead (or unknown), left alone: {not_dead}" in again.stderr
        assert (await iris(world, "outbox", "retry")).exit_code == 2  # ids or --all-dead

    [row] = await outbox_rows(world, topic="roster.status_changed")
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)
    [(key, attempts)] = receiver.by_key().items()
    assert key == row.idempotency_key
    assert [r.status for r in attempts] == [500, 500, 200]  # accepted exactly once
    assert [r.headers["iris-delivery-attempt"] for r in attempts] == ["1", "2", "1"]
    assert all(r.signature_valid for r in attempts)
    assert attempts[-1].payload["data"]["status"] == "suspended"
    assert attempts[-1].payload["data"]["previous_status"] == "accredited"
    assert attempts[-1].payload["data"]["lrn"] == lrn

"""`iris worker`, `iris timers` and `iris outbox` against a real, migrated SQLite file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from iris_engine.accreditation.models import Accreditation
from iris_engine.cases.audit import GENESIS, chain_hash
from iris_engine.cli import main
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import Case, CaseEvent, Organisation, OutboxMessage, Timer


@pytest.fixture
def iris(clean_environ: None, database_url: str, tmp_path: Path) -> Any:
    # a worker's tick takes an audit anchor when one is due: into the test's own folder
    runner = CliRunner(env={"IRIS_DATABASE_URL": database_url,
                            "IRIS_ANCHOR_DIR": str(tmp_path / "anchors")})

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args))

    return invoke


def _run(database_url: str, work: Any) -> Any:
    """Run ``work(session)`` in one write transaction on its own Database; answer its result."""

    async def go() -> Any:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.write() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(go())


# -- an empty database --------------------------------------------------------------------
def test_worker_once_on_an_empty_database(iris: Any) -> None:
    result = iris("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "timers: 0 claimed, 0 fired, 0 notices, 0 discarded, 0 failed" in result.output
    assert "outbox: 0 claimed, 0 delivered, 0 to retry, 0 dead" in result.output


def test_timers_list_on_an_empty_database(iris: Any) -> None:
    result = iris("timers", "list")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no pending timers"
    result = iris("timers", "list", "--status", "done")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no done timers"


def test_outbox_list_on_an_empty_database(iris: Any) -> None:
    result = iris("outbox", "list")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no messages"
    result = iris("outbox", "list", "--status", "dead")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no messages dead"


def test_outbox_retry_needs_ids_or_all_dead(iris: Any) -> None:
    result = iris("outbox", "retry")
    assert result.exit_code == 2
    assert "--all-dead" in result.output
    result = iris("outbox", "retry", "1", "--all-dead")
    assert result.exit_code == 2


def test_outbox_retry_of_an_unknown_message(iris: Any) -> None:
    result = iris("outbox", "retry", "999")
    assert result.exit_code == 1
    assert "left alone: 999" in result.stderr
    assert "re-driven" not in result.stdout


def test_outbox_retry_all_dead_when_none_are(iris: Any) -> None:
    result = iris("outbox", "retry", "--all-dead")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no dead messages"


def test_outbox_list_rejects_an_unknown_status(iris: Any) -> None:
    result = iris("outbox", "list", "--status", "lost")
    assert result.exit_code == 2


def test_worker_help(iris: Any) -> None:
    result = iris("worker", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Fire due timers and deliver the outbox" in text
    assert "--once" in text and "cron" in text


def test_outbox_help(iris: Any) -> None:
    result = iris("outbox", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Outgoing e-mail and webhooks" in text
    assert "list" in text and "retry" in text
    result = iris("outbox", "retry", "--help")
    assert result.exit_code == 0
    assert "--all-dead" in result.output


def test_timers_help(iris: Any) -> None:
    result = iris("timers", "list", "--help")
    assert result.exit_code == 0
    for status in ("pending", "done", "cancelled", "discarded"):
        assert status in result.output


# -- a deferred case whose deadline has passed --------------------------------------------
#: the history of a deferred application: (event, from, to)
DEFERRED = [("open", None, "draft"), ("submit", "draft", "submitted"),
            ("defer", "submitted", "deferred")]


def _seed_deferred_case(database_url: str, *, due: datetime) -> tuple[int, int]:
    """An organisation, a deferred accreditation case (its three events chained, as the engine
    writes them) and its due deadline."""

    async def work(session: Any) -> tuple[int, int]:
        created = due - timedelta(days=60)
        org = Organisation(kind="recruiter", name="Acme Recruiting", country="PH",
                           created_at=created)
        session.add(org)
        await session.flush()
        case = Case(workflow="accreditation", workflow_version=1, state="deferred",
                    revision=len(DEFERRED), organisation_id=org.id or 0, head_hash="",
                    created_at=created, updated_at=created)
        session.add(case)
        await session.flush()
        prev = GENESIS
        for seq, (name, source, dest) in enumerate(DEFERRED, start=1):
            event = CaseEvent(case_id=case.id or 0, seq=seq, event=name, from_state=source,
                              to_state=dest, actor_role="recruiter", data={},
                              created_at=created, prev_hash=prev, hash="")
            event.hash = prev = chain_hash(prev, event)
            session.add(event)
        case.head_hash = prev
        session.add(Accreditation(case_id=case.id or 0, code_of_conduct="iris-standard/1.2"))
        timer = Timer(case_id=case.id or 0, name="deferral_lapse", kind="deadline", due_at=due,
                      deadline_at=due, status="pending", created_at=created)
        session.add(timer)
        await session.flush()
        return case.id or 0, timer.id or 0

    return _run(database_url, work)  # type: ignore[no-any-return]


def _case_and_events(database_url: str, case_id: int) -> tuple[Case, list[CaseEvent], Timer]:
    async def work(session: Any) -> tuple[Case, list[CaseEvent], Timer]:
        case = await session.get(Case, case_id)
        events = list((await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id)  # type: ignore[arg-type]
            .order_by(CaseEvent.seq)  # type: ignore[arg-type]
        )).all())
        timer = (await session.scalars(
            select(Timer).where(Timer.case_id == case_id)  # type: ignore[arg-type]
        )).one()
        return case, events, timer

    return _run(database_url, work)  # type: ignore[no-any-return]


def test_worker_fires_a_due_deadline(iris: Any, database_url: str) -> None:
    due = datetime.now(UTC) - timedelta(hours=1)
    case_id, timer_id = _seed_deferred_case(database_url, due=due)

    listed = iris("timers", "list")
    assert listed.exit_code == 0, listed.output
    assert "deferral_lapse" in listed.output and f"case {case_id}" in listed.output
    assert f"{due:%Y-%m-%d %H:%M} UTC" in listed.output

    result = iris("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "timers: 1 claimed, 1 fired, 0 notices, 0 discarded, 0 failed" in result.output

    case, events, timer = _case_and_events(database_url, case_id)
    assert case.state == "lapsed"
    assert case.revision == 4
    assert [e.event for e in events] == ["open", "submit", "defer", "lapse"]
    last = events[-1]
    assert last.actor_role == "system"
    assert last.actor_id is None
    assert (last.from_state, last.to_state) == ("deferred", "lapsed")
    assert last.reason_code == "deferral_lapsed"
    assert last.note and "60-day" in last.note
    assert last.data["cause"]["timer"]["name"] == "deferral_lapse"
    assert last.data["cause"]["timer"]["id"] == timer_id
    assert case.head_hash == last.hash
    assert (timer.id, timer.status) == (timer_id, "done")
    assert timer.outcome == "fired lapse: case event 4"
    assert timer.claimed_by is None and timer.finished_at is not None

    verified = iris("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "ok: 4 events in 1 cases verified" in verified.output

    done = iris("timers", "list", "--status", "done")
    assert done.exit_code == 0, done.output
    assert f"{timer_id:>7}  case {case_id:<7} deferral_lapse" in done.output
    assert "fired lapse" in done.output
    assert iris("timers", "list").output.strip() == "no pending timers"
    assert iris("timers", "list", "--status", "done", "--case", str(case_id + 1)
                ).output.strip() == "no done timers"

    again = iris("worker", "--once")
    assert again.exit_code == 0, again.output
    assert "timers: 0 claimed, 0 fired" in again.output


def test_worker_leaves_a_deadline_not_yet_due(iris: Any, database_url: str) -> None:
    case_id, _ = _seed_deferred_case(database_url, due=datetime.now(UTC) + timedelta(days=3))
    result = iris("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "timers: 0 claimed, 0 fired" in result.output
    case, events, timer = _case_and_events(database_url, case_id)
    assert case.state == "deferred" and timer.status == "pending"
    assert [e.event for e in events] == ["open", "submit", "defer"]


def test_audit_verify_catches_an_altered_event(iris: Any, database_url: str) -> None:
    case_id, _ = _seed_deferred_case(database_url, due=datetime.now(UTC) - timedelta(minutes=5))
    assert iris("worker", "--once").exit_code == 0

    async def tamper(session: Any) -> None:
        event = (await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id,  # type: ignore[arg-type]
                                    CaseEvent.event == "lapse")  # type: ignore[arg-type]
        )).one()
        event.note = "Someone rewrote history."

    _run(database_url, tamper)
    result = iris("audit", "verify")
    assert result.exit_code == 1
    assert "BROKEN" in result.stderr and f"case {case_id}" in result.stderr


# -- dead messages ------------------------------------------------------------------------
def _seed_dead_message(database_url: str) -> int:
    async def work(session: Any) -> int:
        now = datetime.now(UTC)
        row = OutboxMessage(idempotency_key="k" * 32, channel="webhook",
                            destination="https://receiver.example/hook", topic="roster.status_changed",
                            payload={"id": "k" * 32}, status="dead", attempts=10,
                            next_attempt_at=now, last_error="DeliveryError: HTTP 500",
                            created_at=now)
        session.add(row)
        await session.flush()
        return row.id or 0

    return _run(database_url, work)  # type: ignore[no-any-return]


def test_outbox_list_and_retry_a_dead_message(iris: Any, database_url: str) -> None:
    message_id = _seed_dead_message(database_url)

    listed = iris("outbox", "list", "--status", "dead")
    assert listed.exit_code == 0, listed.output
    assert f"{message_id:>7}  dead" in listed.output
    assert "https://receiver.example/hook" in listed.output
    assert "last error: DeliveryError: HTTP 500" in listed.output
    assert iris("outbox", "list", "--status", "pending").output.strip() == "no messages pending"

    retried = iris("outbox", "retry", str(message_id), "999")
    assert retried.exit_code == 1
    assert f"re-driven: {message_id}" in retried.stdout
    assert "left alone: 999" in retried.stderr

    async def read(session: Any) -> OutboxMessage:
        return await session.get(OutboxMessage, message_id)  # type: ignore[no-any-return]

    row = _run(database_url, read)
    assert (row.status, row.attempts) == ("pending", 0)

    again = iris("outbox", "retry", str(message_id))
    assert again.exit_code == 1
    assert f"left alone: {message_id}" in again.stderr

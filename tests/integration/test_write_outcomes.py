"""What a failed write tells its client about what was saved, from outside (a grievance
filing, whose client cannot look it up without the reference it was never sent):

- the PostgreSQL connection lost before COMMIT was sent: the server rolled the transaction
  back, so 503 ``database-unavailable`` says nothing was saved and when to send it again;
- lost while COMMIT was in flight: nobody here knows whether the server committed, so 503
  ``outcome-unknown`` says so and asks the client to look before sending it again (not
  "nothing was saved", which invites a second filing of a saved one);
- any failure after the commit (building the answer): the 500 says the change was saved,
  on either database; a failure before it still says nothing was;
- the public complaint form says the same in the worker's language, with the API's status and
  ``Retry-After`` (a lost connection or a busy SQLite is a 503 there too, not a 500);
- a failed statement is logged by its names, never with the words it was sent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.cases import engine as case_engine
from iris_engine.grievances.models import Grievance
from iris_engine.store import db
from tests.databases import driver_dsn
from tests.integration.conftest import World, grievance_filing
from tests.integration.test_complaint_pages import form_of, post, walk_to_check

postgres_only = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def _grievances(world: World) -> int:
    async with world.services.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Grievance)) or 0)


async def _end_own_connection(world: World, session: AsyncSession) -> None:
    """Terminate the server process serving ``session``'s transaction, and wait until it ended
    (as a restart or an administrator's ``pg_terminate_backend`` would, mid-transaction)."""
    raw = await (await session.connection()).get_raw_connection()
    pid = raw.driver_connection.get_server_pid()  # type: ignore[union-attr]
    admin = await asyncpg.connect(driver_dsn(world.settings.database_url, "postgres"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
    finally:
        await admin.close()


def _during_the_filing(monkeypatch: pytest.MonkeyPatch,
                       act: Callable[[AsyncSession], Awaitable[None]], *,
                       every_time: bool = False) -> None:
    """Run ``act`` on the filing's session after its case and event were written, before its
    timers and notifications (the rest of the transaction) are: once, or (``every_time``) in
    each attempt of it (a filing is tried again after an IntegrityError)."""
    real = case_engine.CaseEngine._after
    done: list[bool] = []

    async def after(self: Any, ctx: Any, *args: Any) -> Any:
        if every_time or not done:
            done.append(True)
            await act(ctx.session)
        return await real(self, ctx, *args)

    monkeypatch.setattr(case_engine.CaseEngine, "_after", after)


def _ending_the_connection_before_commit(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The filing's connection ended as its transaction's last step: COMMIT is the next thing
    sent on it."""
    async def end_just_before_commit(session: AsyncSession) -> None:
        async def end(last: AsyncSession) -> None:
            await _end_own_connection(world, last)

        db.before_commit(session, end)

    _during_the_filing(monkeypatch, end_just_before_commit)


def _failing_around_the_commit(world: World, monkeypatch: pytest.MonkeyPatch, *,
                               after: bool, error: type[Exception] = RuntimeError) -> None:
    """Every write transaction fails with ``error`` right after its commit (``after``: building
    the answer) or right before it."""
    database = world.services.db
    real = type(database).write.__get__(database)  # not an earlier call's replacement

    @asynccontextmanager
    async def failing() -> AsyncIterator[AsyncSession]:
        async with real() as session:
            yield session
            if not after:
                raise error("the process fails before the commit")
        raise error("the answer could not be built")

    monkeypatch.setattr(world.services.db, "write", failing)


@postgres_only
async def test_a_connection_lost_before_commit_says_nothing_was_saved_and_when_to_retry(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    before = await _grievances(world)

    async def end(session: AsyncSession) -> None:
        await _end_own_connection(world, session)

    _during_the_filing(monkeypatch, end)
    r = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert r.status_code == 503, r.text
    problem = r.json()
    assert problem["type"].endswith("/database-unavailable"), problem
    assert "nothing was saved" in problem["detail"] and r.headers["retry-after"] == "1"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await _grievances(world) == before
    # sent again, as the answer says: filed once
    r = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert r.status_code == 201, r.text
    assert await _grievances(world) == before + 1


@postgres_only
async def test_a_connection_lost_while_committing_says_the_outcome_is_unknown(
        world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    before = await _grievances(world)
    _ending_the_connection_before_commit(world, monkeypatch)
    body = grievance_filing()
    r = await world.client.post("/api/v1/grievances", json=body)
    assert r.status_code == 503, r.text
    problem = r.json()
    assert problem["type"].endswith("/outcome-unknown"), problem
    assert "is not known" in problem["detail"] and "nothing was saved" not in problem["detail"]
    assert "retry-after" not in r.headers  # sending it again blindly is what it warns against
    assert any("whether it was saved is not known" in m for m in caplog.messages)
    # nothing of the complainant's in the log
    assert body["narrative"] not in caplog.text
    # here the server ended the session before COMMIT reached it: not saved, and the app goes on
    assert await _grievances(world) == before
    r = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert r.status_code == 201, r.text


async def test_a_failure_after_the_commit_says_the_change_was_saved(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    before = await _grievances(world)
    _failing_around_the_commit(world, monkeypatch, after=True)
    r = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert r.status_code == 500, r.text
    detail = r.json()["detail"]
    assert "nothing was saved" not in detail and "was saved before the failure" in detail, detail
    assert await _grievances(world) == before + 1

    # the next request counts its own: one failing before its commit says nothing was saved
    _failing_around_the_commit(world, monkeypatch, after=False)
    r = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert r.status_code == 500, r.text
    assert r.json()["detail"].endswith("nothing was saved"), r.json()
    assert await _grievances(world) == before + 1


async def test_a_connection_lost_after_the_commit_does_not_ask_for_it_again(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A momentary failure (503) past the request's commit: the change was saved, so no
    ``Retry-After`` invites the client to send it a second time."""
    before = await _grievances(world)
    _failing_around_the_commit(world, monkeypatch, after=True, error=ConnectionResetError)
    r = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert r.status_code == 503, r.text
    assert r.json()["type"].endswith("/database-unavailable")
    assert "was saved before the failure" in r.json()["detail"] and "retry-after" not in r.headers
    assert await _grievances(world) == before + 1


# -- the same on the public complaint form, in the worker's language ----------------------------
#: "wait a moment, then try again" and "nothing was saved", in Nepali
_TRY_AGAIN_SOON, _NOTHING_SAVED = "एकछिन पर्खनुहोस्", "केही पनि सेभ भएन"


@postgres_only
async def test_the_complaint_form_asks_to_send_again_when_the_database_did_not_answer(
        world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL ended the filing's connection before COMMIT: the page answers 503 with
    ``Retry-After`` as the API does (not a 500), says nothing was saved, logs no traceback;
    sent again, the complaint is filed once."""
    check = await walk_to_check(world)
    before = await _grievances(world)

    async def end(session: AsyncSession) -> None:
        await _end_own_connection(world, session)

    _during_the_filing(monkeypatch, end)
    r = await post(world.client, form_of(check), "/complain/send")
    assert r.status_code == 503 and 'lang="ne"' in r.text
    assert r.headers["retry-after"] == "1"
    assert _TRY_AGAIN_SOON in r.text and _NOTHING_SAVED in r.text, r.text
    assert "Traceback" not in caplog.text and "answered 503" in caplog.text
    assert await _grievances(world) == before
    r = await post(world.client, form_of(check), "/complain/send")
    assert r.status_code == 201 and 'lang="ne"' in r.text, r.text
    assert await _grievances(world) == before + 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"sqlite_busy_timeout_ms": 300}])
async def test_the_complaint_form_asks_to_wait_while_another_process_writes(
        world: World) -> None:
    """Another process holds SQLite's write lock past the busy timeout: 503 with when to send
    it again, in the worker's language; nothing saved."""
    check = await walk_to_check(world)
    before = await _grievances(world)
    other = sqlite3.connect(world.services.db.write_engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        r = await post(world.client, form_of(check), "/complain/send")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
    assert _TRY_AGAIN_SOON in r.text and _NOTHING_SAVED in r.text, r.text
    assert await _grievances(world) == before


async def test_the_complaint_form_does_not_ask_again_for_what_was_saved(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    check = await walk_to_check(world)
    before = await _grievances(world)
    _failing_around_the_commit(world, monkeypatch, after=True, error=ConnectionResetError)
    r = await post(world.client, form_of(check), "/complain/send")
    assert r.status_code == 503 and "retry-after" not in r.headers
    assert "तपाईंले पठाएको कुरा सेभ भयो" in r.text, r.text  # what you sent was saved
    assert _NOTHING_SAVED not in r.text
    assert await _grievances(world) == before + 1


async def test_the_complaint_form_says_so_in_the_workers_language(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    check = await walk_to_check(world)
    before = await _grievances(world)
    _failing_around_the_commit(world, monkeypatch, after=True)
    r = await post(world.client, form_of(check), "/complain/send")
    assert r.status_code == 500 and 'lang="ne"' in r.text
    assert "तपाईंले पठाएको कुरा सेभ भयो" in r.text, r.text  # what you sent was saved
    assert "केही पनि सेभ भएन" not in r.text  # not "nothing was saved"
    assert await _grievances(world) == before + 1


@postgres_only
async def test_the_complaint_form_says_when_it_cannot_tell(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    check = await walk_to_check(world)
    _ending_the_connection_before_commit(world, monkeypatch)
    r = await post(world.client, form_of(check), "/complain/send")
    assert r.status_code == 503 and 'lang="ne"' in r.text
    assert "त्यो सेभ भयो कि भएन, हामी भन्न सक्दैनौं" in r.text, r.text  # we cannot tell
    assert "केही पनि सेभ भएन" not in r.text


# -- what the log keeps of a failed statement ---------------------------------------------------
async def test_a_failed_statement_is_logged_without_what_it_was_sent(
        world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A statement of the filing's transaction breaks NOT NULL with a person's words in its
    row: PostgreSQL's answer repeats the row (DETAIL), SQLAlchemy would add the values sent;
    the 500's log line names the table and column and holds neither."""
    words = "Sita Gurung, sita@mail.example, they kept my passport"
    attempts: list[int] = []

    async def fail(session: AsyncSession) -> None:
        attempts.append(1)
        await db.run_in(session, text(
            "INSERT INTO roster_change (seq, lrn, name, status, valid_until, changed_at, "
            "under_appeal) VALUES (:seq, :lrn, :name, NULL, :day, :at, :no)"),
            {"seq": 10**9, "lrn": "LRN99999999", "name": words, "day": date(2030, 1, 1),
             "at": datetime(2030, 1, 1, tzinfo=UTC), "no": False})

    _during_the_filing(monkeypatch, fail, every_time=True)
    r = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert r.status_code == 500, r.text
    logged = "\n".join(m for m in caplog.messages if "unhandled error" in m)
    assert "Traceback" in logged and "IntegrityError" in logged, logged
    assert ("SQLSTATE 23502" in logged if world.services.db.write_engine.dialect.name ==
            "postgresql" else "NOT NULL constraint failed: roster_change.status" in logged), logged
    assert words not in caplog.text and "sita" not in caplog.text.lower()
    # tried once: a new reference (what a filing draws again after a taken one) mends nothing
    assert len(attempts) == 1, attempts

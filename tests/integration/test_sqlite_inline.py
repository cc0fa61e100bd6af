"""SQLite write transactions run their statements on the event loop's thread
(``iris_engine/store/sqlite_inline.py``). What that must never do is make the loop wait: while
another process holds SQLite's write lock, a writer here waits with ``asyncio.sleep`` (the loop
serves everyone else meanwhile), gets the lock once it is let go, and after the busy timeout
fails as SQLite would, leaving nothing half-written."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from iris_engine.store.db import Database
from iris_engine.store.models import RateCount
from tests.databases import copy_sqlite
from tests.integration.conftest import test_settings as settings_for


def _database(template: Path, path: Path, busy_timeout_ms: int) -> Database:
    url = copy_sqlite(template, path.parent)
    return Database(settings_for(url, sqlite_busy_timeout_ms=busy_timeout_ms))


class OtherProcess:
    """A connection of its own holding SQLite's write lock (as another process would)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


async def _loop_ticks(until: asyncio.Event) -> int:
    """How many 5 ms sleeps the loop managed to serve until ``until`` is set."""
    ticks = 0
    while not until.is_set():
        await asyncio.sleep(0.005)
        ticks += 1
    return ticks


async def _write(db: Database, key: str) -> None:
    async with db.write() as session:
        session.add(RateCount(key=key, period=1, hits=1, hits_before=0))


async def test_a_writer_waits_for_another_process_without_stopping_the_loop(
        tmp_path: Path, sqlite_template: Path) -> None:
    db = _database(sqlite_template, tmp_path / sqlite_template.name, busy_timeout_ms=5000)
    try:
        other = OtherProcess(tmp_path / sqlite_template.name)
        threading.Timer(0.3, other.release).start()
        done = asyncio.Event()
        ticker = asyncio.create_task(_loop_ticks(done))
        started = time.monotonic()
        await _write(db, "after-the-other")
        waited = time.monotonic() - started
        done.set()
        ticks = await ticker
        # it waited for the other's lock, and the loop kept turning meanwhile (a wait inside
        # SQLite's busy handler on this thread would have frozen it: no tick at all)
        assert waited >= 0.25
        assert ticks >= 10, f"the event loop was blocked: {ticks} ticks in {waited:.2f} s"
        async with db.read() as session:
            assert (await session.scalar(select(col(RateCount.key)).where(
                col(RateCount.key) == "after-the-other"))) == "after-the-other"
    finally:
        await db.dispose()


async def test_a_writer_gives_up_after_the_busy_timeout_and_writes_nothing(
        tmp_path: Path, sqlite_template: Path) -> None:
    db = _database(sqlite_template, tmp_path / sqlite_template.name, busy_timeout_ms=200)
    other = OtherProcess(tmp_path / sqlite_template.name)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            await _write(db, "never")
        assert 0.18 <= time.monotonic() - started < 2
    finally:
        other.release()
    try:
        await _write(db, "once-free")  # and the engine works on once the lock is let go
        async with db.read() as session:
            keys = (await session.scalars(select(col(RateCount.key)))).all()
        assert keys == ["once-free"]
    finally:
        await db.dispose()


async def test_writes_and_short_reads_run_on_the_loop_s_thread_other_reads_on_others(
        tmp_path: Path, sqlite_template: Path) -> None:
    db = _database(sqlite_template, tmp_path / sqlite_template.name, busy_timeout_ms=5000)
    threads: list[tuple[str, int]] = []

    def record(kind: str) -> int:
        threads.append((kind, threading.get_ident()))
        return 1

    try:
        for engine in (db.write_engine, db.read_engine, db._short_read_engine):
            assert engine is not None
            async with engine.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                assert raw is not None
                await raw.create_function("where_am_i", 1, record)
        async with db.write() as session:
            await session.execute(text("SELECT where_am_i('write')"))
        async with db.read() as session:
            await session.execute(text("SELECT where_am_i('read')"))
        async with db.read(short=True) as session:
            await session.execute(text("SELECT where_am_i('short read')"))
        loop_thread = threading.get_ident()
        assert [k for k, _ in threads] == ["write", "read", "short read"]
        assert threads[0][1] == loop_thread  # no hand-off to a thread per call
        assert threads[1][1] != loop_thread  # a long read does not hold the loop
        assert threads[2][1] == loop_thread  # a read of a few rows by key runs at once
    finally:
        await db.dispose()

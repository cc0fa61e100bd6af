"""No raw row holds what identifies a survivor or what they said (issue #13, Done when: "no raw
row (SQLite file or PostgreSQL dump) holds a survivor's name, phone, e-mail or narrative in
clear text"). After a return walked to its first monitoring report, the SQLite file and its
log, or a ``pg_dump`` of the PostgreSQL database, are scanned for the survivor's name, phone,
e-mail, account, a consent's witness, the forms' free text and a personal note; after the
purge, not even the sealed values are left on disk."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.integration.conftest import World
from tests.integration.test_return_erasure import RETENTION, monitored_and_closed, sealed_left
from tests.returns_support import (
    ACCOUNT,
    SURVIVOR_EMAIL,
    SURVIVOR_NAME,
    SURVIVOR_PHONE,
    monitoring_report_form,
    return_cast,
    risk_assessment_form,
)

WITNESS = "Ana Popescu"
NOTE = "not to tell her brother where she works"


def _secrets() -> list[bytes]:
    risk = risk_assessment_form()
    report = monitoring_report_form()
    return [s.encode() for s in (
        SURVIVOR_NAME, SURVIVOR_PHONE, SURVIVOR_EMAIL, ACCOUNT, ACCOUNT[:30], WITNESS, NOTE,
        risk["family"]["details"], risk["reasons"], report["income"]["details"],
        report["next_steps"], "Suceava")]


async def raw_storage(world: World) -> bytes:
    """What a copy of the disk (SQLite: the file and its log) or a dump (PostgreSQL) holds."""
    url = world.settings.database_url
    if world.services.db.is_sqlite:
        path = Path(url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal"))
                        if p.exists())
    parsed = make_url(url)
    process = await asyncio.create_subprocess_exec(
        "pg_dump", "--no-owner", "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
        "-U", parsed.username or "postgres", "-d", parsed.database or "",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})})
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out


async def test_no_raw_row_holds_the_survivor_in_clear_and_a_purge_leaves_nothing(
        world: World) -> None:
    cast = await return_cast(world)
    case_id = await monitored_and_closed(cast)
    raw = await raw_storage(world)
    assert b"return_case" in raw or world.services.db.is_sqlite  # the dump is of this database
    assert b"RR-000" in raw  # the scan reads the rows (the reference is in clear)
    found = [s.decode() for s in _secrets() if s in raw]
    assert not found, f"in clear on disk: {found}"

    sealed = await sealed_left(world, case_id)
    assert sealed
    world.clock.advance(RETENTION)
    await world.tick()
    assert await sealed_left(world, case_id) == []
    raw = await raw_storage(world)
    left = [value[:24] for value in sealed if value.encode() in raw]
    assert not left, f"purged sealed values still on disk: {left}"

"""An organisation coordinator's CSV: every row checked first, each error naming its line and
column, nobody enrolled when any row is wrong; hostile files refused as 4xx problems."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from iris_engine.training.bulk import MAX_BYTES
from iris_engine.training.models import Enrolment, Learner
from tests.integration.conftest import World, assert_problem
from tests.integration.training_cast import (
    SESSIONS,
    bulk,
    open_session,
    self_enrol,
    staff_csv,
    training_cast,
)


async def _counts(world: World) -> tuple[int, int]:
    async with world.services.db.read() as session:
        return (int(await session.scalar(select(func.count()).select_from(Enrolment)) or 0),
                int(await session.scalar(select(func.count()).select_from(Learner)) or 0))


async def test_errors_name_line_and_column_and_nobody_is_enrolled(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc)
    r = await bulk(tc.police, session_id, staff_csv(
        ("Priya Shah", "priya.shah@police.example", "police"),
        ("Tom Reed", "not-an-address", "police"),
        ("Ann Lee", "ann.lee@police.example", "plumbing"),
        ("=HYPERLINK(\"http://evil.example\")", "eve@police.example", "police"),
        ("Priya Again", "PRIYA.SHAH@police.example", "police"),
        ("", "nobody@police.example", "police"),
    ))
    assert r.status_code == 422, r.text
    assert_problem(r)
    assert [e["pointer"] for e in r.json()["errors"]] == [
        "/line/3/email", "/line/4/sector", "/line/5/name", "/line/6/email", "/line/7/name"]
    assert await _counts(world) == (0, 0)
    assert await world.emails_to("priya.shah@police.example") == []

    good = await bulk(tc.police, session_id, staff_csv(
        ("Priya Shah", "priya.shah@police.example", "police"),
        ("Zoë Ñúñez 李", "zoe@police.example", "police")))
    assert good.status_code == 201, good.text
    assert [row["line"] for row in good.json()["enrolled"]] == [2, 3]
    link = [m for m in await world.emails_to("zoe@police.example") if m.topic == "training.link"]
    assert len(link) == 1 and "Zoë" not in link[0].payload["text"]
    again = await bulk(tc.police, session_id, staff_csv(("Zoë", "zoe@police.example", "police")))
    assert again.status_code == 422
    [error] = again.json()["errors"]
    assert (error["pointer"], error["message"]) == ("/line/2/email",
                                                    "already enrolled in this session")


@pytest.mark.parametrize(("body", "pointer"), [
    (b"", "/line/1"),
    (b"name,email\r\nA,a@x.example\r\n", "/line/1"),
    (b"name,email,sector,extra\r\nA,a@x.example,police,1\r\n", "/line/1"),
    ("name,email,sector\r\nA,a@x.example,police\r\n".encode("utf-16"), "/"),
    (b"name,email,sector\r\nA\x00,a@x.example,police\r\n", "/"),
    (b"name,email,sector\r\n\xff\xfeA,a@x.example,police\r\n", "/line/2"),
    (b"name,email,sector\r\nA,a@x.example\r\n", "/line/2"),
    (b"name,email,sector\r\nA\x07B,a@x.example,police\r\n", "/line/2/name"),
    (b"name,email,sector\r\n" + b"A" * 300 + b",a@x.example,police\r\n", "/line/2/name"),
    (b"name,email,sector\r\n" + b"A,a@x.example,police\r\n" * (MAX_BYTES // 20), "/"),
    (b'name,email,sector\r\n"A,a@x.example,police\r\n', "/"),
])
async def test_hostile_files_are_refused(world: World, body: bytes, pointer: str) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc)
    r = await bulk(tc.police, session_id, body)
    assert r.status_code == 422, r.text
    assert_problem(r)
    assert r.json()["errors"][0]["pointer"] == pointer, r.json()
    assert await _counts(world) == (0, 0)


async def test_only_an_organisation_coordinator_enrols_in_bulk(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc)
    body = staff_csv(("Priya Shah", "priya.shah@police.example", "police"))
    for actor in (tc.coordinator, tc.trainer):
        r = await bulk(actor, session_id, body)
        assert r.status_code == 403, r.text
        assert_problem(r)
    closed = await bulk(tc.police, 999_999, body)
    assert closed.status_code == 404


async def test_public_list_self_enrolment_and_learner_record(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc, capacity=1)
    listed = (await world.client.get(f"{SESSIONS}/open")).json()
    assert [s["id"] for s in listed] == [session_id] and listed[0]["seats_left"] == 1
    assert (await world.client.get(f"{SESSIONS}/open", params={"course": "nothing"})).json() == []
    token = await self_enrol(world, session_id, "Asha Rai", "asha@council.example")
    # the same address again: the same answer, and no second enrolment
    r = await world.client.post(f"{SESSIONS}/{session_id}/enrolments", json={
        "name": "Asha Rai", "email": "ASHA@council.example", "sector": "housing"})
    assert r.status_code == 202
    assert await _counts(world) == (1, 1)
    confirmed = (await world.client.post("/api/v1/training/enrolments/confirm",
                                         json={"token": token})).json()
    assert confirmed["state"] == "confirmed"
    record = await world.client.get("/api/v1/training/me",
                                    headers={"X-Learner-Token": confirmed["link_token"]})
    assert record.status_code == 200
    assert record.json()["name"] == "Asha Rai"
    assert [e["state"] for e in record.json()["enrolments"]] == ["confirmed"]
    assert (await world.client.get(f"{SESSIONS}/open")).json()[0]["seats_left"] == 0
    wrong = await world.client.get("/api/v1/training/me", headers={"X-Learner-Token": "nope"})
    assert wrong.status_code == 401
    assert_problem(wrong)
    for bad in ({"name": "A", "email": "a@b.example", "sector": "x"},
                {"name": "A\u0000", "email": "a@b.example", "sector": "police"},
                {"name": "A" * 201, "email": "a@b.example", "sector": "police"},
                {"name": "A", "email": "a@b.example", "sector": "police", "extra": 1}):
        r = await world.client.post(f"{SESSIONS}/{session_id}/enrolments", json=bad)
        assert r.status_code in (400, 422), (bad, r.text)
        assert_problem(r)
    missing = await world.client.post(f"{SESSIONS}/999999/enrolments", json={
        "name": "A", "email": "a@b.example", "sector": "police"})
    assert missing.status_code == 404

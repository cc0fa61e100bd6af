"""New rows written at once (``iris_engine.store.db.add_written``) and built as loaded rows are
(``iris_engine.store.rows.new_row``), on each database through a real connection: the row in
the database is the row a ``session.add`` and flush would have written, the object is the
session's as if loaded (a later change is flushed as an UPDATE, a rollback takes it all back),
one INSERT is sent, and a broken constraint is SQLAlchemy's ``IntegrityError``, as the
grievance filing's retry on a reference drawn twice expects."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from iris_engine.clock import utcnow
from iris_engine.grievances import service as grievance_service
from iris_engine.grievances.models import Grievance
from iris_engine.store.db import Database, add_written
from iris_engine.store.models import Case
from iris_engine.store.rows import new_row
from tests.integration.conftest import World, grievance_filing, statements

_CASE = {"workflow": "grievance", "workflow_version": 1, "state": "filed"}


def _case(**changes: Any) -> dict[str, Any]:
    now = utcnow()
    return {**_CASE, "created_at": now, "updated_at": now, **changes}


def _grievance(case_id: int, reference: str) -> dict[str, Any]:
    return {"case_id": case_id, "reference": reference, "access_code_hash": "0" * 64,
            "complainant_role": "worker", "language": "en", "origin_country": "NP",
            "destination_country": "QA", "severity": "low", "filed_at": utcnow(),
            "allegations": ["fees"], "principles": ["1"]}


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in type(row).__table__.c}


async def _row_of(db: Database, model: Any, key: Any) -> dict[str, Any] | None:
    async with db.read() as session:
        found = await session.get(model, key)
        return _columns(found) if found is not None else None


async def test_a_written_row_is_the_row_an_orm_flush_writes(world: World) -> None:
    db = world.services.db
    values = _case(revision=3)
    async with db.write() as session:
        through_orm = Case(**values)
        session.add(through_orm)
        await session.flush()
        written = new_row(Case, **values)
        with statements(world) as seen:
            await add_written(session, written)
        # one statement, the database's id read back by it
        assert len(seen) == 1 and seen[0].startswith("INSERT INTO case_file"), seen
        assert written.id == through_orm.id + 1
        state = inspect(written)
        assert state.persistent and not state.modified and written in session
        assert await session.get(Case, written.id) is written  # known by its key, no query
    assert await _row_of(db, Case, written.id) == {**(await _row_of(db, Case, through_orm.id)
                                                     or {}), "id": written.id}


async def test_a_change_after_it_is_written_is_flushed_and_a_rollback_takes_it_back(
        world: World) -> None:
    db = world.services.db
    async with db.write() as session:
        case = new_row(Case, **_case())
        await add_written(session, case)
        detail = new_row(Grievance, **_grievance(case.id or 0, "GRV-WRITTEN-1"))
        await add_written(session, detail)  # its key is given: no RETURNING needed
        case.state = "triage"  # changed after the INSERT: the commit's flush UPDATEs it
        detail.remedies = [{"kind": "refund"}]
    assert (await _row_of(db, Case, case.id) or {})["state"] == "triage"
    stored = await _row_of(db, Grievance, case.id)
    assert stored is not None and stored["remedies"] == [{"kind": "refund"}]
    assert stored["allegations"] == ["fees"] and stored["tier"] == 1  # a default, written

    class Failure(Exception):
        pass

    with pytest.raises(Failure):
        async with db.write() as session:
            gone = new_row(Case, **_case())
            await add_written(session, gone)
            gone_id = gone.id or 0
            await add_written(session, new_row(Grievance, **_grievance(gone_id, "GRV-WRITTEN-2")))
            raise Failure
    assert await _row_of(db, Case, gone_id) is None
    assert inspect(gone).transient  # out of its session, as a flushed new row would be
    assert await _row_of(db, Grievance, gone_id) is None


async def test_a_broken_constraint_is_sqlalchemys_integrity_error(world: World) -> None:
    db = world.services.db
    async with db.write() as session:
        case = new_row(Case, **_case())
        await add_written(session, case)
        await add_written(session, new_row(Grievance, **_grievance(case.id or 0, "GRV-TAKEN")))
    with pytest.raises(IntegrityError):
        async with db.write() as session:
            other = new_row(Case, **_case())
            await add_written(session, other)
            await add_written(session, new_row(Grievance, **_grievance(other.id or 0,
                                                                        "GRV-TAKEN")))
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Grievance)) == 1


async def test_a_row_with_a_column_unset_is_refused_before_anything_is_sent(
        world: World) -> None:
    case = new_row(Case, **_case())
    del case.__dict__["workflow"]  # as nothing should leave it: a column unset
    async with world.services.db.write() as session:
        with statements(world) as seen, pytest.raises(ValueError, match=r"Case\.workflow"):
            await add_written(session, case)
        assert not [s for s in seen if s.startswith("INSERT")]


async def test_a_filing_whose_reference_is_taken_draws_another_and_leaves_nothing_behind(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The grievance's INSERT (on the driver, inside the filing's transaction) fails on the
    reference's unique constraint; the filing's transaction rolls back whole and it tries
    again with a new reference."""
    first = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert first.status_code == 201, first.text
    taken = first.json()["reference"]
    drawn = iter([taken, "GRV-FRESH-00001"])
    monkeypatch.setattr(grievance_service, "new_reference", lambda: next(drawn))
    async with world.services.db.read() as session:
        cases_before = await session.scalar(select(func.count()).select_from(Case))
    second = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert second.status_code == 201, second.text
    assert second.json()["reference"] == "GRV-FRESH-00001"
    async with world.services.db.read() as session:
        cases_after = await session.scalar(select(func.count()).select_from(Case))
        references = (await session.scalars(select(col(Grievance.reference)))).all()
    assert cases_after == (cases_before or 0) + 1  # the failed attempt's case rolled back
    assert sorted(references) == sorted([taken, "GRV-FRESH-00001"])
    assert (await world.services.audit.verify()).intact

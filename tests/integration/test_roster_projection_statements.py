"""What the accreditation's projection onto the roster writes, counted statement by statement
(``before_cursor_execute``): a status change touches one roster_entry row and no
roster_country row; a new name updates the countries' sort key; nothing is deleted and
re-inserted unchanged."""

from __future__ import annotations

from contextlib import ExitStack

from sqlalchemy import select
from sqlmodel import col

from iris_engine.accreditation.models import Accreditation
from iris_engine.accreditation.roster import publish
from iris_engine.clock import utcnow
from iris_engine.roster.models import RosterCountry, RosterEntry
from iris_engine.store.models import Organisation
from tests.integration.conftest import Cast, World, statements, walk_to


def _verbs(seen: list[str]) -> list[str]:
    """Each statement as its verb and table, e.g. ``UPDATE roster_entry``."""
    out = []
    for statement in seen:
        words = statement.replace('"', "").split(" ")
        verb = words[0]
        if statement.startswith("--"):
            out.append(statement)
            continue
        if verb in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"):
            continue
        table = words[words.index("FROM") + 1] if verb in ("SELECT", "DELETE") else (
            words[1] if verb == "UPDATE" else words[2])
        out.append(f"{verb} {table}")
    return out


def _ending(verbs: list[str]) -> list[object]:
    """The statements after the version's, as a set: the unit of work orders those two."""
    taken = verbs.index("UPDATE roster_meta")
    return [*verbs[:taken + 1], set(verbs[taken + 1:])]


async def _publish(world: World, cast: Cast, case_id: int, state: str,
                   name: str | None = None) -> list[str]:
    """The statements of ``publish`` and of what it leaves for the commit."""
    with ExitStack() as recording:
        async with world.services.db.write() as session:
            detail = await session.get(Accreditation, case_id)
            organisation = await session.get(Organisation, cast.recruiter.organisation_id)
            assert detail is not None and organisation is not None
            if name is not None:
                organisation.name = name
                await session.flush()
            seen = recording.enter_context(statements(world))
            await publish(session, state=state, detail=detail,
                          organisation_id=cast.recruiter.organisation_id, now=utcnow(), event_seq=99)
            await session.flush()
            seen.append("-- end of the transaction's own work")
    return _verbs(seen)


async def test_a_roster_change_writes_only_what_changed(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    # the organisation, its entry and the case's scope: one statement (three before)
    reads = ["SELECT organisation"]

    # a status change: as the last work before COMMIT (the version row's lock held for as
    # little as can be), the version, the entry numbered with it (what the roster caches ask,
    # issue #14) in the one UPDATE that writes it, and the change feed; no country row
    end = "-- end of the transaction's own work"
    last = ["UPDATE roster_meta", {"UPDATE roster_entry", "INSERT roster_change"}]
    assert _ending(await _publish(world, cast, case_id, "suspended")) == [*reads, end, *last]
    # nothing public changed: the version and the entry's updated_at
    assert _ending(await _publish(world, cast, case_id, "suspended")) == [
        *reads, end, "UPDATE roster_meta", {"UPDATE roster_entry"}]
    # a new name: the countries carry the sort key, updated in one statement
    assert _ending(await _publish(world, cast, case_id, "accredited",
                                  name="Zenith Überseas Ltd")) == [
        *reads, "UPDATE roster_country", end, *last]

    async with world.services.db.read() as session:
        entry = (await session.scalars(select(RosterEntry).where(
            col(RosterEntry.case_id) == case_id))).one()
        countries = (await session.scalars(select(RosterCountry).where(
            col(RosterCountry.lrn) == entry.lrn).order_by(col(RosterCountry.country)))).all()
    assert entry.name_key == "zenith überseas ltd"
    assert [(c.country, c.name_key) for c in countries] == [
        (code, entry.name_key) for code in entry.countries.split()]
    page = (await world.client.get("/api/v1/roster", params={
        "country": countries[0].country, "q": "überseas"})).json()
    assert [e["lrn"] for e in page["items"]] == [entry.lrn]


async def test_two_publications_in_one_transaction_write_the_second_over_the_first(
        world: World, cast: Cast) -> None:
    """The entry's values are written with the version, just before COMMIT; a second
    publication in the same transaction (the demo walks a case through several events in
    one) starts from the first's values, not from the row as it was read."""
    case_id = await walk_to(cast, "accredited")
    async with world.services.db.write() as session:
        detail = await session.get(Accreditation, case_id)
        assert detail is not None
        organisation_id = cast.recruiter.organisation_id
        first = await publish(session, state="suspended", detail=detail,
                              organisation_id=organisation_id, now=utcnow(), event_seq=98)
        second = await publish(session, state="withdrawn", detail=detail,
                               organisation_id=organisation_id, now=utcnow(), event_seq=99)
    assert first is not None and second is not None
    assert (first.previous_status, first.status) == ("accredited", "suspended")
    assert (second.previous_status, second.status) == ("suspended", "withdrawn")
    assert second.seq == first.seq + 1
    async with world.services.db.read() as session:
        entry = (await session.scalars(select(RosterEntry).where(
            col(RosterEntry.case_id) == case_id))).one()
    assert (entry.status, entry.changed_in) == ("withdrawn", second.seq)

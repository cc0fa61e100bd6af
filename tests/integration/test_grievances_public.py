"""The complainant's side of a grievance: filing without an account, following it with a
reference and an access code, messages with the caseworker, withdrawing; and what that side must
never give away: whether a reference exists, who the complainant is (nothing identifying is
stored in the clear), or unlimited guesses at a code. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import func, select
from sqlmodel import SQLModel

from iris_engine.app import create_app
from iris_engine.cases.audit import verify_chains
from iris_engine.disclosure.models import PersonalDataRead
from iris_engine.grievances.models import Grievance
from iris_engine.store.models import Case, CaseEvent, OutboxMessage
from tests.integration.conftest import (
    Filing,
    GrievanceCast,
    World,
    file_grievance,
    fire_grievance,
    grievance_filing,
)

PUBLIC = "/api/v1/grievances"
STAFF = "/api/v1/grievance-cases"
#: a well-formed reference no grievance has (50 random bits: a collision is not a concern)
GHOST = "GRV-00000-00000"
WRONG_CODE = {"IRIS-Access-Code": "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ"}


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """No overrides, unless a test parametrizes this fixture indirectly."""
    return dict(getattr(request, "param", {}))


def _problem(r: Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    return body


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _follow(world: World, reference: str, headers: dict[str, str]) -> Response:
    return await world.client.get(f"{PUBLIC}/{reference}", headers=headers)


async def _act(world: World, filing: Filing, event: str, revision: int | None = None,
               **body: Any) -> Response:
    if revision is None:
        revision = (await _follow(world, filing.reference, filing.headers)).json()["revision"]
    return await world.client.post(f"{PUBLIC}/{filing.reference}/transitions", headers=filing.headers,
                                   json={"event": event, "expected_revision": revision, **body})


async def _say(world: World, filing: Filing, text: str) -> Response:
    return await world.client.post(f"{PUBLIC}/{filing.reference}/messages", headers=filing.headers,
                                   json={"body": text})


async def _count(world: World, model: Any) -> int:
    async with world.services.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _mails(world: World, case_id: int, topic: str) -> list[OutboxMessage]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(OutboxMessage).where(
            OutboxMessage.case_id == case_id, OutboxMessage.topic == topic)  # type: ignore[arg-type]
            .order_by(OutboxMessage.id))).all())  # type: ignore[arg-type]


# -- filing and following ----------------------------------------------------------------------
async def test_anonymous_grievance_is_filed_and_followed_with_its_code(
        world: World, gcast: GrievanceCast) -> None:
    """A worker who gives no name can still file, and follow the case with the code alone."""
    filed_at = world.clock()
    f = await file_grievance(world, contact=None)

    staff = (await gcast.caseworker.get(f"{STAFF}/{f.case_id}")).json()
    assert staff["identity_on_file"] is False
    assert (staff["state"], staff["severity"], staff["reference"]) == ("received", "medium",
                                                                      f.reference)
    r = await _follow(world, f.reference, f.headers)
    assert r.status_code == 200, r.text
    view = r.json()
    assert (view["reference"], view["state"], view["tier"]) == (f.reference, "received", 1)
    assert [(u["event"], u["state"]) for u in view["updates"]] == [("open", "received")]
    assert view["messages"] == [] and view["may"] == ["withdraw"]
    # documents kept and fees charged: medium severity, acknowledged within 48 hours
    assert _instant(view["next_deadline"]) == filed_at + timedelta(hours=48)

    # what a person types back: lower case, the code without dashes
    tolerant = {"IRIS-Access-Code": f.access_code.lower().replace("-", " ")}
    r = await _follow(world, f.reference.lower(), tolerant)
    assert r.status_code == 200 and r.json()["reference"] == f.reference, r.text

    # even the caseworker who takes it finds no one to reveal
    assert (await fire_grievance(gcast.caseworker, f.case_id, "acknowledge")).status_code == 200
    r = await gcast.caseworker.get(f"{STAFF}/{f.case_id}/identity", params={"purpose": "callback"})
    _problem(r, 404)


@pytest.mark.parametrize(("overrides", "within"), [
    ({"fees_paid": None, "documents_retained": False, "allegations": ["other"]}, timedelta(days=5)),
    ({}, timedelta(hours=48)),
    ({"allegations": ["forced_labour"]}, timedelta(hours=24)),
    ({"fees_paid": None, "documents_retained": False, "allegations": [], "in_danger": True},
     timedelta(hours=24)),
], ids=["low", "medium", "high-crime", "high-danger"])
async def test_filing_promises_an_acknowledgement_by_severity(
        world: World, overrides: dict[str, Any], within: timedelta) -> None:
    """The complainant is told when to expect an answer: sooner when they are in danger."""
    filed_at = world.clock()
    r = await world.client.post(PUBLIC, json=grievance_filing(**overrides))
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["state"] == "received"
    assert filed["follow_url"].endswith(f"{PUBLIC}/{filed['reference']}")
    assert _instant(filed["acknowledge_by"]) == filed_at + within
    view = (await _follow(world, filed["reference"], {"IRIS-Access-Code": filed["access_code"]})).json()
    assert _instant(view["next_deadline"]) == filed_at + within


@pytest.mark.parametrize(("mutate", "pointer"), [
    (lambda b: b.update(corridor={"origin": "Nepal", "destination": "QA"}), "/corridor/origin"),
    (lambda b: b.update(allegations=["recruitment_fees", "bribery"]), "/allegations/1"),
    (lambda b: b.pop("narrative"), "/narrative"),
    (lambda b: b.update(sneaky="x"), "/sneaky"),
    (lambda b: b.update(fees_paid={"amount": "1500.00", "currency": "dollars"}),
     "/fees_paid/currency"),
], ids=["country", "allegation", "no-narrative", "unknown-field", "currency"])
async def test_malformed_filing_is_refused_with_a_pointer_and_nothing_written(
        world: World, mutate: Any, pointer: str) -> None:
    """A bad filing says which field is wrong (an RFC 6901 pointer) and stores nothing."""
    body = grievance_filing()
    mutate(body)
    problem = _problem(await world.client.post(PUBLIC, json=body), 422)
    assert problem["errors"] and all(e["message"] for e in problem["errors"]), problem
    assert await _count(world, Grievance) == 0
    assert await _count(world, Case) == 0
    assert pointer in [e["pointer"] for e in problem["errors"]], problem["errors"]


@pytest.mark.parametrize("settings_overrides", [{"public_rate_limit_per_minute": 3}], indirect=True)
async def test_filing_is_rate_limited_per_client(world: World) -> None:
    """One address cannot flood the form; following a filed grievance is not that form."""
    assert world.settings.public_rate_limit_per_minute == 3
    filings = [await file_grievance(world) for _ in range(3)]
    r = await world.client.post(PUBLIC, json=grievance_filing())
    _problem(r, 429)
    assert r.headers["Retry-After"].isdigit() and int(r.headers["Retry-After"]) > 0, r.headers
    assert await _count(world, Grievance) == 3
    r = await _follow(world, filings[0].reference, filings[0].headers)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("settings_overrides", [{"public_rate_limit_per_minute": 3}], indirect=True)
async def test_the_limit_slides_across_a_minute_and_retry_after_is_kept(world: World) -> None:
    """Three filings at the end of one minute, one more a few seconds into the next: refused
    (a fixed window would have started again); after Retry-After, let through."""
    world.clock.set(world.clock().replace(second=58, microsecond=0))
    for _ in range(3):
        await file_grievance(world)
    world.clock.advance(timedelta(seconds=3))
    r = await world.client.post(PUBLIC, json=grievance_filing())
    _problem(r, 429)
    wait = int(r.headers["Retry-After"])
    assert 1 < wait < 60, r.headers
    world.clock.advance(timedelta(seconds=wait))
    await file_grievance(world)
    assert await _count(world, Grievance) == 4


# -- the access code -----------------------------------------------------------------------------
async def test_wrong_code_and_unknown_reference_answer_alike(world: World) -> None:
    """A wrong code must not reveal that the reference exists."""
    f = await file_grievance(world)
    wrong = await _follow(world, f.reference, WRONG_CODE)
    unknown = await _follow(world, GHOST, f.headers)
    bodies = []
    for r in (wrong, unknown):
        body = _problem(r, 404)
        body.pop("instance", None)
        bodies.append(body)
    assert bodies[0] == bodies[1]
    assert "GRV" not in bodies[0]["detail"]


async def test_repeated_wrong_codes_lock_the_reference_out_for_a_while(world: World) -> None:
    """Guessing codes stops after a few tries, for real and invented references alike."""
    limit, window = world.settings.access_code_max_failures, world.settings.access_code_lockout_seconds
    f = await file_grievance(world)
    for reference in (f.reference, GHOST):
        for n in range(limit):  # typed differently, still the same reference
            _problem(await _follow(world, reference.lower() if n % 2 else reference, WRONG_CODE), 404)

    locked = []
    for reference, headers in ((f.reference, f.headers), (GHOST, f.headers)):
        r = await _follow(world, reference, headers)  # even the right code, once locked
        body = _problem(r, 429)
        assert r.headers["Retry-After"].isdigit(), r.headers
        assert 0 < int(r.headers["Retry-After"]) <= window
        locked.append((body["type"], body["title"], r.headers["Retry-After"]))
    assert locked[0] == locked[1], "the lock-out must not tell a real reference from a ghost"
    # the code opens nothing else meanwhile
    _problem(await _say(world, f, "hello?"), 429)
    _problem(await _act(world, f, "withdraw", revision=1), 429)

    world.clock.advance(timedelta(seconds=window + 1))
    r = await _follow(world, f.reference, f.headers)
    assert r.status_code == 200, r.text
    # a new window: one typo is a 404 again, not a lock-out
    _problem(await _follow(world, f.reference, WRONG_CODE), 404)


async def test_one_client_guessing_across_references_is_locked_out(world: World) -> None:
    """Spreading guesses over many references does not escape the lock-out."""
    f = await file_grievance(world)
    for n in range(4 * world.settings.access_code_max_failures):
        _problem(await _follow(world, f"GRV-{n:05d}-ZZZZZ", WRONG_CODE), 404)
    r = await _follow(world, f.reference, f.headers)
    _problem(r, 429)
    assert int(r.headers["Retry-After"]) > 0

    # the real complainant, from another address, is not locked out by someone else's guessing
    app = create_app(world.settings, services=world.services)
    transport = ASGITransport(app=app, client=("203.0.113.9", 40000))  # type: ignore[arg-type]
    async with AsyncClient(transport=transport,
                           base_url="http://testserver") as elsewhere:
        r = await elsewhere.get(f"{PUBLIC}/{f.reference}", headers=f.headers)
    assert r.status_code == 200, r.text


# -- personal data ------------------------------------------------------------------------------
async def _raw_cells(world: World, needles: tuple[str, ...]) -> dict[str, int]:
    """Every cell of every table, read as raw rows: none may hold a needle. Answers the row
    count per table."""
    seen: dict[str, int] = {}
    async with world.services.db.read_engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await conn.execute(table.select())).all()
            seen[table.name] = len(rows)
            for row in rows:
                for column, value in zip(table.columns, row, strict=True):
                    text = str(value).lower()
                    leaked = [n for n in needles if n.lower() in text]
                    assert not leaked, f"{table.name}.{column.name} holds {leaked}"
    return seen


async def _history(actor: Any, case_id: int) -> dict[str, dict[str, Any]]:
    r = await actor.get(f"{STAFF}/{case_id}/history")
    assert r.status_code == 200, r.text
    return {e["event"]: e for e in r.json()}


async def test_nothing_identifying_is_stored_in_the_clear(world: World, gcast: GrievanceCast) -> None:
    """A database dump or an e-mail leak must not name the complainant or show what they wrote
    (their messages, and the notes they or staff write when they withdraw, close, appeal,
    review), before or after the purge; the assigned caseworker can still reach them, and that
    read is recorded; the case's readers see the notes in its history."""
    secret_message = "call me on +977 9812345678 after the night shift at the camp"
    f = await file_grievance(world)  # Sita Gurung, with e-mail and phone
    assert (await _say(world, f, secret_message)).status_code == 201
    r = await fire_grievance(gcast.caseworker, f.case_id, "acknowledge")
    assert r.status_code == 200 and r.json()["assignee_id"] == gcast.caseworker.user_id, r.text
    r = await gcast.caseworker.post(f"{STAFF}/{f.case_id}/messages",
                                    {"body": "Sita, we will phone 9812345678 tomorrow"})
    assert r.status_code == 201, r.text

    # only the assigned caseworker may read who filed it
    for other in (gcast.other_caseworker, gcast.supervisor):
        r = await other.get(f"{STAFF}/{f.case_id}/identity", params={"purpose": "callback"})
        _problem(r, 403)
    r = await gcast.caseworker.get(f"{STAFF}/{f.case_id}/identity", params={"purpose": "callback"})
    assert r.status_code == 200, r.text
    who = r.json()
    assert (who["name"], who["email"], who["phone"]) == (
        "Sita Gurung", "sita.gurung@mail.example", "+977 9812345678")
    assert who["basis"] == "assigned_caseworker"
    async with world.services.db.read() as session:
        reads = (await session.scalars(select(PersonalDataRead))).all()
    assert [(p.case_id, p.reader_user_id, p.purpose, p.basis) for p in reads] == [
        (f.case_id, gcast.caseworker.user_id, "callback", "assigned_caseworker")]

    # the complainant withdraws, staff close, the complainant appeals, the supervisor upholds:
    # each writes a note about the complainant
    notes = {"withdraw": "Ramesh at the Doha camp threatened my brother in Pokhara",
             "close": "Spoke to Sita at the Al Khor camp gate; she is safe for now",
             "appeal": "They took my passport again after I withdrew, room 14 block C",
             "uphold": "Her new passport complaint is a fresh grievance, not this one"}
    assert (await _act(world, f, "withdraw", note=notes["withdraw"])).status_code == 200
    r = await fire_grievance(gcast.caseworker, f.case_id, "close", reason_code="other",
                             note=notes["close"])
    assert r.status_code == 200, r.text
    r = await _act(world, f, "appeal", note=notes["appeal"])
    assert r.status_code == 200 and r.json()["state"] == "appealed", r.text
    r = await fire_grievance(gcast.supervisor, f.case_id, "uphold", reason_code="resolved",
                             note=notes["uphold"])
    assert r.status_code == 200, r.text
    # a grievance nobody holds yet: its withdrawal is mailed to every caseworker
    unheld = await file_grievance(world, contact=None)
    notes["unheld"] = "I am afraid of the agent Bikash who knows my village"
    assert (await _act(world, unheld, "withdraw", note=notes["unheld"])).status_code == 200

    # the caseworkers were told a message arrived, without its text; the caseworkers of each
    # withdrawal and the supervisor of the appeal that a note was written, and where to read it
    mails = await _mails(world, f.case_id, "grievance.message")
    assert "case@scheme.example" in {m.destination for m in mails}
    assert all("night shift" not in str(m.payload) for m in mails)
    told = {(m.destination, m.case_id): m.payload["text"]
            for case_id in (f.case_id, unheld.case_id)
            for m in await _mails(world, case_id, "case.transition")}
    for who, case_id in [("case@scheme.example", f.case_id), ("super@scheme.example", f.case_id),
                         ("case@scheme.example", unheld.case_id),
                         ("case2@scheme.example", unheld.case_id)]:
        text = told[(who, case_id)]
        assert "A note was written" in text, text
        assert f"{STAFF}/{case_id}/history" in text, text
    assert not [t for t in told.values() for n in notes.values() if n in t]

    # who may read the case reads the notes: staff in its history, the complainant their own
    # and those meant for them
    history = await _history(gcast.supervisor, f.case_id)
    for event in ("withdraw", "close", "appeal", "uphold"):
        assert history[event]["note"] == notes[event], history[event]
        assert history[event]["personal_note"] is True and history[event]["note_erased"] is False
    assert history["acknowledge"]["personal_note"] is False  # no note was written
    view = (await _follow(world, f.reference, f.headers)).json()
    assert {u["event"]: u["note"] for u in view["updates"]
            if u["event"] in notes} == {e: notes[e] for e in ("withdraw", "close", "appeal", "uphold")}
    _problem(await gcast.glaa.get(f"{STAFF}/{f.case_id}/history"), 403)

    # every cell of every table, read as raw rows
    needles = ("sita gurung", "sita.gurung@mail.example", "9812345678", "kept my passport",
               "night shift", "we will phone", *notes.values())
    seen = await _raw_cells(world, needles)
    assert seen["grievance"] == 2 and seen["grievance_message"] == 2, seen
    assert seen["outbox_message"] > 0 and seen["case_event"] >= 8, seen
    async with world.services.db.read() as session:  # what the purge must erase
        sealed = [*(await session.scalars(select(CaseEvent.note_sealed).where(
            CaseEvent.case_id == f.case_id, CaseEvent.note_sealed.is_not(None)))).all(),  # type: ignore[union-attr]
            *(await session.execute(select(Grievance.narrative_sealed, Grievance.identity_sealed)
                                    .where(Grievance.case_id == f.case_id))).one()]
    assert len(sealed) == 4 + 2 and all(sealed), sealed

    # the end of the retention period: what was sealed is gone, and the chain still holds
    world.clock.advance(timedelta(days=world.settings.grievance_retention_days + 1))
    await world.tick()
    history = await _history(gcast.supervisor, f.case_id)
    assert history["purge_personal_data"]["data"]["outcome"]["purged"]["notes"] == 4
    for event in ("withdraw", "close", "appeal", "uphold"):
        assert (history[event]["note"], history[event]["note_erased"]) == (None, True)
        assert history[event]["note_commitment"], history[event]
    view = (await _follow(world, f.reference, f.headers)).json()
    assert all(u["note"] is None for u in view["updates"]), view["updates"]
    await _raw_cells(world, (*needles, *sealed))
    async with world.services.db.read() as session:
        _, _, broken = await verify_chains(session, vault=world.services.vault)
    assert broken is None, str(broken)


@pytest.mark.parametrize("settings_overrides", [{"grievance_retention_days": 10}], indirect=True)
async def test_an_erased_grievance_takes_no_appeal(world: World, gcast: GrievanceCast) -> None:
    """Erased inside the appeal period (a short retention): the complainant cannot appeal, and
    is told why, rather than write new personal data into a case whose data is gone."""
    f = await file_grievance(world)
    assert (await _act(world, f, "withdraw", note="I am going home")).status_code == 200
    r = await fire_grievance(gcast.caseworker, f.case_id, "close", reason_code="other")
    assert r.status_code == 200, r.text
    assert "appeal" in (await _follow(world, f.reference, f.headers)).json()["may"]

    world.clock.advance(timedelta(days=11))
    await world.tick()
    view = (await _follow(world, f.reference, f.headers)).json()
    assert view["state"] == "closed" and view["may"] == []
    body = _problem(await _act(world, f, "appeal", note="Please look at it again"), 422)
    assert [g["guard"] for g in body["extra"]["guards"]] == ["personal_data_kept"]
    assert "erased" in body["detail"]
    r = await gcast.supervisor.get(f"{STAFF}/{f.case_id}")
    assert (r.json()["state"], r.json()["revision"]) == ("closed", view["revision"])


# -- messages and actions ------------------------------------------------------------------------
async def test_complainant_and_caseworker_exchange_messages(
        world: World, gcast: GrievanceCast) -> None:
    """The complainant writes without an account; the caseworker reads and answers."""
    f = await file_grievance(world)
    r = await _say(world, f, "Did you receive my complaint?")
    assert r.status_code == 201, r.text
    assert (r.json()["author"], r.json()["body"]) == ("complainant", "Did you receive my complaint?")
    mails = await _mails(world, f.case_id, "grievance.message")
    assert {m.destination for m in mails} >= {"case@scheme.example"}
    assert all("receive my complaint" not in str(m.payload) for m in mails)

    r = await gcast.caseworker.get(f"{STAFF}/{f.case_id}/messages")
    assert r.status_code == 200, r.text
    assert [(m["author"], m["body"]) for m in r.json()] == [
        ("complainant", "Did you receive my complaint?")]
    _problem(await gcast.glaa.get(f"{STAFF}/{f.case_id}/messages"), 403)

    r = await gcast.caseworker.post(f"{STAFF}/{f.case_id}/messages",
                                    {"body": "Yes. We will contact you within two days."})
    assert r.status_code == 201 and r.json()["author"] == "caseworker", r.text

    view = (await _follow(world, f.reference, f.headers)).json()
    assert [(m["author"], m["body"]) for m in view["messages"]] == [
        ("complainant", "Did you receive my complaint?"),
        ("caseworker", "Yes. We will contact you within two days.")]
    _problem(await _say(world, f, ""), 422)


async def test_erased_grievance_takes_no_more_messages(world: World, gcast: GrievanceCast) -> None:
    """After the retention period the data is gone, and nothing new is collected."""
    f = await file_grievance(world)
    assert (await _say(world, f, "Please hurry")).status_code == 201
    assert (await _act(world, f, "withdraw")).status_code == 200
    r = await fire_grievance(gcast.caseworker, f.case_id, "close", reason_code="other",
                             note="Withdrawn by the complainant")
    assert r.status_code == 200, r.text

    world.clock.advance(timedelta(days=world.settings.grievance_retention_days + 1))
    await world.tick()
    staff = (await gcast.supervisor.get(f"{STAFF}/{f.case_id}")).json()
    assert staff["purged_at"] is not None and staff["identity_on_file"] is False
    view = (await _follow(world, f.reference, f.headers)).json()
    assert view["state"] == "closed" and [m["body"] for m in view["messages"]] == [None]

    _problem(await _say(world, f, "Is anyone there?"), 409)
    assert len((await _follow(world, f.reference, f.headers)).json()["messages"]) == 1


async def test_complainant_withdraws_but_cannot_act_as_staff(
        world: World, gcast: GrievanceCast) -> None:
    """The code lets the complainant withdraw, not acknowledge their own grievance."""
    f = await file_grievance(world)
    revision = (await _follow(world, f.reference, f.headers)).json()["revision"]

    _problem(await _act(world, f, "acknowledge", revision), 403)
    body = _problem(await _act(world, f, "withdraw", revision - 1), 409)
    assert body["extra"]["current_revision"] == revision

    r = await _act(world, f, "withdraw", revision)
    assert r.status_code == 200, r.text
    view = r.json()
    assert (view["state"], view["revision"], view["may"]) == ("withdrawn", revision + 1, [])
    assert view["updates"][-1]["event"] == "withdraw"
    assert (await gcast.caseworker.get(f"{STAFF}/{f.case_id}")).json()["state"] == "withdrawn"


async def test_every_step_of_a_grievance_is_in_the_hash_chain(
        world: World, gcast: GrievanceCast) -> None:
    """Whoever acted, staff or complainant, the trail is complete and untampered."""
    f = await file_grievance(world)
    cw = gcast.caseworker
    assert (await fire_grievance(cw, f.case_id, "acknowledge")).status_code == 200
    r = await fire_grievance(cw, f.case_id, "triage", data={"severity": "high"})
    assert r.status_code == 200, r.text
    assert (await _say(world, f, "The agent threatened me again")).status_code == 201
    assert (await fire_grievance(cw, f.case_id, "start_investigation")).status_code == 200
    assert (await _act(world, f, "withdraw")).status_code == 200
    r = await fire_grievance(cw, f.case_id, "close", reason_code="other", note="Withdrawn")
    assert r.status_code == 200, r.text

    steps = ["open", "acknowledge", "triage", "start_investigation", "withdraw", "close"]
    history = (await cw.get(f"{STAFF}/{f.case_id}/history")).json()
    assert [e["event"] for e in history] == steps
    view = (await _follow(world, f.reference, f.headers)).json()
    assert [u["event"] for u in view["updates"]] == steps
    async with world.services.db.read() as session:
        cases, events, broken = await verify_chains(session)
    assert broken is None, str(broken)
    assert (cases, events) == (1, len(steps))

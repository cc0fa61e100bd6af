"""Integration fixtures: the real app over a real database connection, through HTTP."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response
from litestar import Litestar
from sqlalchemy import event as sql_event
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from iris_engine.app import create_app
from iris_engine.clock import ManualClock, utcnow
from iris_engine.people import NewUser
from iris_engine.services import Services, build_services
from iris_engine.settings import Settings
from iris_engine.store.models import OutboxMessage, Timer
from iris_engine.ticker import Ticker, TickReport
from tests.conftest import REPO
from tests.training_support import certify_staff

PASSWORD = "correct horse battery"


def assert_problem(r: Response) -> None:
    """The one error shape (RFC 9457), with a JSON pointer on every field error."""
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    body = r.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == r.status_code
    assert body["type"].startswith("https://")
    for e in body.get("errors", []):
        assert set(e) >= {"pointer", "message"} and e["pointer"].startswith("/")


#: a scope within the countries of ``valid_self_assessment()``'s default (NP, QA)
SCOPE: dict[str, Any] = {"corridors": [{"origin": "NP", "destination": "QA"}],
                         "sectors": ["construction", "hospitality"]}


def valid_self_assessment(countries: tuple[str, ...] = ("NP", "QA")) -> dict[str, Any]:
    path = REPO / "codes_of_conduct/iris-standard/1.2/examples/valid/minimal-complete.json"
    doc = copy.deepcopy(json.loads(path.read_text()))
    a = doc["principles"]["A"]
    a["countries_of_operation"] = list(countries)
    for lic in a["licences"]:
        lic["country"] = countries[0]
        lic["valid_from"] = (date.today() - timedelta(days=400)).isoformat()
        lic["valid_until"] = (date.today() + timedelta(days=400)).isoformat()
    return doc


@dataclass
class Actor:
    """A logged-in user and the client it talks through."""

    client: AsyncClient
    token: str
    user_id: int
    organisation_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **kw: Any) -> Response:
        return await self.client.get(path, headers=self.headers, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Response:
        return await self.client.post(path, json=body, headers=self.headers, **kw)

    async def fire(self, case_id: int, event: str, revision: int | None = None,
                   **body: Any) -> Response:
        if revision is None:
            revision = (await self.get(f"/api/v1/applications/{case_id}")).json()["revision"]
        return await self.post(f"/api/v1/applications/{case_id}/transitions",
                               {"event": event, "expected_revision": revision, **body})


@dataclass
class World:
    services: Services
    client: AsyncClient
    settings: Settings
    clock: ManualClock
    ticker: Ticker
    #: the app the client talks to (None where a test builds its world by hand)
    app: Litestar | None = None

    async def tick(self) -> TickReport:
        """What the scheduler would do now: fire due timers, then deliver the outbox."""
        return await self.ticker.tick(budget_seconds=float("inf"))

    async def login(self, email: str, password: str = PASSWORD) -> Actor:
        r = await self.client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        body = r.json()
        return Actor(self.client, body["access_token"], body["user_id"], body["organisation_id"])

    async def staff(self, email: str, *roles: str, organisation: str = "Audit Body",
                    kind: str = "audit_body") -> Actor:
        from sqlalchemy import select

        from iris_engine.store.models import Organisation

        async with self.services.db.write() as session:
            org = (await session.scalars(select(Organisation).where(
                Organisation.name == organisation))).first()
            if org is None:
                org = await self.services.people.add_organisation(
                    session, kind=kind, name=organisation, country="CH")
            await self.services.people.add_user(session, org, NewUser(email, email, PASSWORD, roles))
        return await self.login(email)

    async def recruiter(self, name: str, country: str = "NP", *,
                        certified: bool = True) -> Actor:
        """A recruiter that registered, confirmed its address with the e-mailed token, and
        logged in; ``certified`` as ``confirmed`` says."""
        email = f"{name.lower().replace(' ', '.')}@agency.example"
        r = await self.client.post("/api/v1/recruiters", json={
            "organisation": {"name": name, "country": country},
            "user": {"email": email, "name": f"Owner of {name}", "password": PASSWORD},
        })
        assert r.status_code == 202, r.text
        return await self.confirmed(email, certified=certified)

    async def confirmed(self, email: str, password: str = PASSWORD, *,
                        certified: bool = True) -> Actor:
        """Confirm a recruiter's registration with the token e-mailed to ``email``, then log
        in. ``certified``: one of the organisation's staff then holds a certificate of the
        training accreditation's ``submit`` requires (``prerequisite_training``), earned
        through the training flow (tests/training_support); ``certified=False`` for the tests
        of that requirement and those that count what the training adds (accounts, cases)."""
        r = await self.client.post("/api/v1/recruiters/confirm",
                                   json={"token": await self.emailed_token(email)})
        assert r.status_code == 200, r.text
        await self._forget_emails(email, "account.confirm")
        actor = await self.login(email, password)
        if certified:
            await certify_staff(self, actor.organisation_id)
        return actor

    async def _forget_emails(self, address: str, topic: str) -> None:
        """Drop e-mails of set-up (sent and read, as far as a test is concerned), so tests of
        the outbox meet only the messages of their own story."""
        from sqlalchemy import delete

        async with self.services.db.write() as session:
            await session.execute(delete(OutboxMessage).where(
                OutboxMessage.destination == address, OutboxMessage.topic == topic))

    async def emails_to(self, address: str) -> list[OutboxMessage]:
        """The e-mails queued for ``address``, oldest first."""
        from sqlalchemy import select

        async with self.services.db.read() as session:
            return list((await session.scalars(
                select(OutboxMessage).where(OutboxMessage.channel == "email",
                                            OutboxMessage.destination == address)
                .order_by(OutboxMessage.id))).all())

    async def emailed_token(self, address: str) -> str:
        """The token in the last registration e-mail to ``address`` (an indented line)."""
        confirm = [m for m in await self.emails_to(address) if m.topic == "account.confirm"]
        assert confirm, f"no confirmation e-mail to {address}"
        lines = [line.strip() for line in confirm[-1].payload["text"].splitlines()
                 if line.startswith("    ")]
        assert len(lines) == 1, confirm[-1].payload
        return lines[0]


#: two keys, so tests can rotate: the first seals
TEST_DATA_KEYS = ("k2:" + "A" * 42 + "Q," + "k1:" + "B" * 42 + "Q")


async def run_sql(url: str,
                  *statements: tuple[str, dict[str, object]]) -> list[tuple[object, ...]]:
    """Statements run in one transaction on a database of their own engine (a migration test's
    rows before and after ``upgrade``); the last one's rows."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            rows: list[tuple[object, ...]] = []
            for sql, params in statements:
                result = await conn.execute(text(sql), params)
                rows = [tuple(r) for r in result.all()] if result.returns_rows else []
            return rows
    finally:
        await engine.dispose()


def test_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test: no background ticker (tests tick by hand, on a ManualClock)."""
    values: dict[str, Any] = {
        "database_url": database_url, "secret_key": "test-secret-key-of-at-least-32-bytes!",
        # every test creates and logs in several users: production-cost argon2 would dominate
        "password_hash_profile": "test",
        "roster_cache_seconds": 0, "workflows_dir": REPO / "workflows",
        # an export rebuilt after every change (its period has a test of its own)
        "roster_export_seconds": 0,
        "codes_dir": REPO / "codes_of_conduct", "scheduler": False,
        "webhook_allow_private": True, "outbox_backoff_seconds": 60.0,
        # tests log in and file many times from one address; rate-limit tests lower it
        "public_rate_limit_per_minute": 100_000,
        "data_keys": TEST_DATA_KEYS,
        # audit anchors only where a test takes them (into the world's own folder)
        "anchor_interval_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the world's settings (e.g. the SMTP port)."""
    return {}


@pytest.fixture
async def world(database_url: str, settings_overrides: dict[str, Any],
                tmp_path: Path) -> AsyncIterator[World]:
    settings = test_settings(database_url, **{"anchor_dir": tmp_path / "anchors",
                                              **settings_overrides})
    clock = ManualClock(utcnow())
    services = build_services(settings, clock=clock)
    app = create_app(settings, services=services)
    ticker = Ticker(services, "test-ticker")
    # the app runs on the test's own event loop (Litestar's AsyncTestClient would run it on a
    # portal thread, and database connections cannot cross event loops)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as client:
        made = World(services, client, settings, clock, ticker, app)
        report = os.environ.get("IRIS_TEST_EXPLAIN")
        if report:  # every statement the test ran, EXPLAINed after it (see the README)
            with statements_with_values(made) as ran:
                yield made
            found = await unbounded_reads(made, ran, frozenset({"roster_meta"}), strict=False)
            with open(report, "a") as out:
                out.writelines(f"{services.db.write_engine.dialect.name}\t"
                               f"{' '.join(line.split())}\n" for line in dict.fromkeys(found))
        else:
            yield made
    await ticker.stop()
    await services.roster_exports.close()
    await services.db.dispose()


@dataclass
class Cast:
    recruiter: Actor
    manager: Actor
    auditor: Actor


@pytest.fixture
async def cast(world: World, request: pytest.FixtureRequest) -> Cast:
    """A recruiter (certified unless the test is marked ``untrained``), a scheme manager and
    an auditor."""
    untrained = request.node.get_closest_marker("untrained") is not None
    return Cast(
        recruiter=await world.recruiter("Everest Fair Recruitment", certified=not untrained),
        manager=await world.staff("manager@scheme.example", "scheme_manager",
                                  organisation="Scheme", kind="scheme"),
        auditor=await world.staff("auditor@audit.example", "auditor"),
    )


async def state_scope(recruiter: Actor, case_id: int, scope: dict[str, Any] | None = None) -> None:
    """The recruiter states the application's scope (``SCOPE`` unless given)."""
    r = await recruiter.fire(case_id, "update_scope", data=scope or SCOPE)
    assert r.status_code == 200, r.text


#: names of further recruiters, none looking like another (their skeletons differ)
OTHER_RECRUITERS = ("Kathmandu Placement", "Lumbini Overseas", "Pokhara Manpower", "Chitwan Staffing",
                    "Janakpur Employment", "Biratnagar Careers", "Dharan Workforce",
                    "Butwal Recruiting", "Hetauda Jobs", "Nepalgunj Talent")


async def newcomer(world: World, cast: Cast, n: int) -> Cast:
    """The cast with the ``n``-th other recruiter organisation (``OTHER_RECRUITERS``): a test
    that needs several live applications needs several organisations (one each at a time)."""
    return Cast(await world.recruiter(OTHER_RECRUITERS[n]), cast.manager, cast.auditor)


async def walk_to(cast: Cast, target: str, *, findings: list[dict[str, Any]] | None = None,
                  scope: bool = True) -> int:
    """Create an application and walk it to ``target`` through HTTP; returns its id.
    ``scope=False`` skips stating the scope (accreditation version 1 has no such step)."""
    r = await cast.recruiter.post("/api/v1/applications",
                                  {"self_assessment": valid_self_assessment()})
    assert r.status_code == 201, r.text
    case_id: int = r.json()["id"]
    steps: list[tuple[Actor, str, dict[str, Any]]] = [
        (cast.recruiter, "update_scope", {"data": SCOPE}),
        (cast.recruiter, "submit", {}),
        (cast.manager, "accept_application", {}),
        (cast.manager, "plan_audit", {"data": {"auditor_id": cast.auditor.user_id,
                                               "planned_on": date.today().isoformat()}}),
        (cast.auditor, "complete_audit", {"data": {"non_conformities": findings or []}}),
        (cast.auditor, "refer_for_decision", {}),
        (cast.manager, "accredit", {}),
    ]
    states = ["draft", "submitted", "accepted", "audit_planned", "audited", "decision", "accredited"]
    if not scope:
        steps, states = steps[1:], states[1:]
    for (actor, event, body), state in zip(steps, states, strict=True):
        r = await actor.fire(case_id, event, **body)
        assert r.status_code == 200, r.text
        if state == target:
            break
    return case_id


# -- grievances ----------------------------------------------------------------------------
def grievance_filing(**overrides: Any) -> dict[str, Any]:
    """A complete filing: a Nepali worker in Qatar, fees charged, passport kept, with contact."""
    body: dict[str, Any] = {
        "complainant_role": "worker", "language": "ne",
        "corridor": {"origin": "NP", "destination": "QA"},
        "recruiter": {"name": "Himalaya Manpower"},
        "allegations": ["recruitment_fees", "document_retention"], "principles": ["1", "2"],
        "fees_paid": {"amount": "1500.00", "currency": "USD"}, "documents_retained": True,
        "narrative": "I paid 1500 dollars for the job and they kept my passport.",
        "contact": {"name": "Sita Gurung", "email": "sita.gurung@mail.example",
                    "phone": "+977 9812345678"},
        "consents": {"share_identity_with_recruiter": False, "refer_to_authority": True,
                     "be_contacted": True},
    }
    body.update(overrides)
    return body


@dataclass
class Filing:
    reference: str
    access_code: str
    case_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"IRIS-Access-Code": self.access_code}


@dataclass
class GrievanceCast:
    caseworker: Actor
    other_caseworker: Actor
    supervisor: Actor
    admin: Actor
    glaa: Actor  # authority: GB labour exploitation and licensing, inbox
    police: Actor  # authority: GB and QA trafficking, inbox
    glaa_id: int
    police_id: int


@pytest.fixture
async def gcast(world: World) -> GrievanceCast:
    admin = await world.staff("admin@scheme.example", "admin", organisation="Scheme", kind="scheme")
    ids = {}
    for key, body in {
        "glaa": {"name": "Gangmasters and Labour Abuse Authority", "countries": ["GB", "QA", "NP"],
                 "remits": ["labour_exploitation", "licensing"]},
        "police": {"name": "Police (modern slavery unit)", "countries": ["GB", "QA"],
                   "remits": ["trafficking", "child_protection"]},
    }.items():
        r = await admin.post("/api/v1/authorities", body)
        assert r.status_code == 201, r.text
        ids[key] = r.json()["id"]
    return GrievanceCast(
        caseworker=await world.staff("case@scheme.example", "caseworker", organisation="Scheme"),
        other_caseworker=await world.staff("case2@scheme.example", "caseworker",
                                           organisation="Scheme"),
        supervisor=await world.staff("super@scheme.example", "supervisor", organisation="Scheme"),
        admin=admin,
        glaa=await world.staff("officer@glaa.example", "authority",
                               organisation="Gangmasters and Labour Abuse Authority"),
        police=await world.staff("officer@police.example", "authority",
                                 organisation="Police (modern slavery unit)"),
        glaa_id=ids["glaa"], police_id=ids["police"],
    )


async def file_grievance(world: World, **overrides: Any) -> Filing:
    r = await world.client.post("/api/v1/grievances", json=grievance_filing(**overrides))
    assert r.status_code == 201, r.text
    body = r.json()
    from sqlalchemy import select

    from iris_engine.grievances.models import Grievance

    async with world.services.db.read() as session:
        case_id = (await session.scalars(select(Grievance.case_id).where(
            Grievance.reference == body["reference"]))).one()
    return Filing(body["reference"], body["access_code"], case_id)


async def fire_grievance(actor: Actor, case_id: int, event: str, **body: Any) -> Response:
    revision = (await actor.get(f"/api/v1/grievance-cases/{case_id}")).json().get("revision", 0)
    return await actor.post(f"/api/v1/grievance-cases/{case_id}/transitions",
                            {"event": event, "expected_revision": revision, **body})


async def appeal(world: World, filing: Filing, note: str) -> Response:
    """The complainant appeals, with their reference and access code."""
    r = await world.client.get(f"/api/v1/grievances/{filing.reference}", headers=filing.headers)
    assert r.status_code == 200, r.text
    return await world.client.post(
        f"/api/v1/grievances/{filing.reference}/transitions", headers=filing.headers,
        json={"event": "appeal", "expected_revision": r.json()["revision"], "note": note})


async def appealed_to_last_tier(world: World, gcast: GrievanceCast) -> Filing:
    """A grievance signposted and closed by its caseworker, appealed, upheld by a supervisor
    at tier 2 and appealed again: at tier 3, the last, where the scheme manager reviews it."""
    filing = await file_grievance(world)
    for actor, event, body in [
        (gcast.caseworker, "acknowledge", {}),
        (gcast.caseworker, "triage", {"data": {"severity": "medium"}}),
        (gcast.caseworker, "signpost", {"reason_code": "other_mechanism",
                                        "note": "The labour court handles wages.",
                                        "data": {"signpost_to": "Labour court, Doha"}}),
        (gcast.caseworker, "close", {"reason_code": "other_mechanism"}),
        (None, "appeal", {"note": "Nobody listened to me."}),
        (gcast.supervisor, "uphold", {"reason_code": "resolved", "note": "Signposted rightly."}),
        (None, "appeal", {"note": "I still disagree: they kept my passport."}),
    ]:
        r = (await appeal(world, filing, body["note"]) if actor is None
             else await fire_grievance(actor, filing.case_id, event, **body))
        assert r.status_code == 200, (event, r.text)
    assert (r.json()["state"], r.json()["tier"]) == ("appealed", 3)
    return filing


def licence(valid_until: date, number: str = "DOFE-2291",
            valid_from: date | None = None) -> dict[str, Any]:
    """An operating licence as principle A lists it (from 700 days before its end unless
    ``valid_from`` is given)."""
    start = valid_from if valid_from is not None else valid_until - timedelta(days=700)
    return {"number": number, "issuer": "Department of Foreign Employment", "country": "NP",
            "valid_from": start.isoformat(), "valid_until": valid_until.isoformat()}


async def licensed_for_years(recruiter: Actor, case_id: int) -> None:
    """The recruiter sends a licence valid beyond the certificate, so the licence watch
    (``licence_expiry``) stays out of a story about the certificate's own end."""
    today = date.today()
    r = await recruiter.fire(case_id, "update_licences", data={"licences": [
        licence(today + timedelta(days=2000), "DOFE-1", valid_from=today)]})
    assert r.status_code == 200, r.text


async def case_state(cast: Cast, case_id: int) -> str:
    """The application's state, as the scheme manager reads it."""
    return str((await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["state"])


async def pending_deadlines(world: World, case_id: int, name: str) -> list[Timer]:
    """The case's pending deadline rows of timer ``name`` (reminders left out)."""
    async with world.services.db.read() as session:
        return list((await session.scalars(select(Timer).where(
            Timer.case_id == case_id, Timer.name == name, Timer.status == "pending",
            Timer.kind == "deadline"))).all())


@contextmanager
def _hearing(world: World, record: Any) -> Iterator[None]:
    """``record(statement, parameters)`` hears every statement the app's engines run
    meanwhile (the statement-count tests' listener)."""
    engines = {engine.sync_engine for engine in world.services.db.engines}

    def heard(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        record(statement, parameters)

    for engine in engines:
        sql_event.listen(engine, "before_cursor_execute", heard)
    try:
        yield
    finally:
        for engine in engines:
            sql_event.remove(engine, "before_cursor_execute", heard)


@contextmanager
def statements_with_values(world: World) -> Iterator[list[tuple[str, Any]]]:
    """As ``statements``, each with the values it ran with (as the driver took them)."""
    seen: list[tuple[str, Any]] = []
    with _hearing(world, lambda statement, values: seen.append((statement, values))):
        yield seen


async def unbounded_reads(world: World, seen: list[tuple[str, Any]],
                          small: frozenset[str] = frozenset(), *,
                          strict: bool = True) -> list[str]:
    """The statements among ``seen`` whose plan reads a whole table (other than the ``small``
    ones, which hold a row or a few whatever the data): a scan, or an index read end to end.
    SQLite: ``EXPLAIN QUERY PLAN``; PostgreSQL: ``EXPLAIN`` with sequential scans priced out,
    so a tiny test table is read as a large one would be. An empty list: every read is narrowed
    by an index, so the statements' cost does not grow with the tables."""
    found: list[str] = []
    async with world.services.db.write() as session:
        connection = await session.connection()
        sqlite = connection.dialect.name == "sqlite"
        if not sqlite:
            await session.execute(text("SET LOCAL enable_seqscan = off"))
        for sql, values in seen:
            verb = sql.split(None, 1)[0].upper()
            if verb not in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH"):
                continue
            if verb == "INSERT" and " SELECT " not in sql.upper():
                # a row of values reads nothing; SQLite's plan lists the foreign keys' child
                # tables it would check, which it skips while no deferred check is pending
                continue
            try:
                async with connection.begin_nested():  # a statement EXPLAIN refuses ends
                    whole = await _plan_reads(connection, sql, values, small, sqlite=sqlite)
            except Exception:  # alone (its table since dropped, say): the report says so
                if strict:
                    raise
                whole = ["not explained"]
            if whole:
                found.append(f"{' '.join(sql.split())}\n    {whole}")
    return found


async def _plan_reads(connection: Any, sql: str, values: Any, small: frozenset[str], *,
                      sqlite: bool) -> list[str]:
    if sqlite:
        steps = [row[-1] for row in (await connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + sql, values)).all()]
        return [step for step in steps if step.startswith("SCAN ")
                and not step.startswith("SCAN CONSTANT") and step.split()[1] not in small
                and "VIRTUAL TABLE" not in step]
    [[tree]] = (await connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, values)).all()
    if isinstance(tree, str):
        tree = json.loads(tree)
    return _whole_reads(tree[0]["Plan"], small)


def _whole_reads(node: dict[str, Any], small: frozenset[str]) -> list[str]:
    found = []
    table = node.get("Relation Name")
    if table is not None and table not in small and (
            node["Node Type"] == "Seq Scan"
            or (node["Node Type"] in ("Index Scan", "Index Only Scan")
                and "Index Cond" not in node)):
        found.append(f"{node['Node Type']} on {table}")
    for child in node.get("Plans", []):
        found += _whole_reads(child, small)
    return found


@contextmanager
def statements(world: World) -> Iterator[list[str]]:
    """Every SQL statement the app's engines run meanwhile (whitespace folded; BEGIN, COMMIT
    and pings included): what the statement-count tests count."""
    seen: list[str] = []
    with _hearing(world, lambda statement, _values: seen.append(" ".join(statement.split()))):
        yield seen


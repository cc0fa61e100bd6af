"""A world with the certificates' routes, and certificates made directly in the store (the
enrolment workflow that issues them is tested on its own)."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from httpx import ASGITransport, AsyncClient

from iris_engine import training
from iris_engine.app import create_app
from iris_engine.clock import ManualClock, utcnow
from iris_engine.domains import DOMAINS
from iris_engine.services import build_services
from iris_engine.store.models import Case
from iris_engine.ticker import Ticker
from iris_engine.training.certificate_http import CERTIFICATE_ROUTES
from iris_engine.training.certificates import (
    CERTIFICATE_SEALED,
    certificate_name_place,
    link_token_digest,
    provide_certificates,
)
from iris_engine.training.models import Certificate, Course, Learner
from iris_engine.training.numbers import new_certificate_number
from tests.conftest import REPO
from tests.integration import conftest
from tests.integration.conftest import World

PROVIDER_REFERENCE = "CPD-UK-123456"
#: who calls the certificate endpoints (test_certificate_role_matrix.py): no credentials; a
#: learner's link token (theirs, another's); accounts by role
ACTORS = ("anonymous", "learner", "other_learner", "training_coordinator", "trainer",
          "organisation_coordinator", "other_organisation_coordinator", "recruiter", "auditor",
          "scheme_manager", "caseworker", "supervisor", "admin")
_HOLDERS = {"learner", "training_coordinator", "organisation_coordinator"}
#: gives the training roles access to something, so that accounts may hold them, until the
#: training workflows (another part of issue #12) are in workflows/
ROLES_WORKFLOW = """\
name: training_roles_for_certificate_tests
version: 1
title: Training roles (tests only)
initial: open
access:
  training_coordinator: all
  trainer: assigned
  organisation_coordinator: organisation
states:
  open: {description: Open}
  done: {description: Done, final: true}
transitions:
  - event: finish
    from: open
    to: done
    roles: [training_coordinator]
"""


def _training_domain() -> Any:
    """The training DOMAIN with what the certificates add (until it declares them itself)."""
    base = training.DOMAIN
    provided = base.provides

    def provides(services: Any) -> dict[str, object]:
        return {**provided(services), **provide_certificates(services)}

    routes = tuple(r for r in CERTIFICATE_ROUTES if r not in base.routes)
    sealed = tuple(s for s in CERTIFICATE_SEALED
                   if all((s.model, s.column) != (t.model, t.column) for t in base.sealed))
    return dataclasses.replace(base, provides=provides, routes=(*base.routes, *routes),
                               sealed=(*base.sealed, *sealed))


def rows(number: str) -> list[tuple[str, dict[str, int]]]:
    """Every certificate endpoint (all GET), with the status each actor gets."""
    public = dict.fromkeys(ACTORS, 200)
    holders = {a: 200 if a in _HOLDERS else 404 for a in ACTORS}
    return [
        ("/.well-known/jwks.json", public),
        ("/api/v1/certificates/status-list", public),
        (f"/api/v1/certificates/{number}/verification", public),
        (f"/api/v1/certificates/{number}/credential", holders),
        (f"/api/v1/certificates/{number}.pdf", holders),
    ]


async def certificate_world(database_url: str, tmp_path: Path,
                            **overrides: Any) -> AsyncIterator[World]:
    folder = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", folder)
    roles = {"training_coordinator", "trainer", "organisation_coordinator"}
    if not any("training_coordinator" in p.read_text() for p in folder.glob("*.yaml")):
        (folder / "training_roles_for_certificate_tests.yaml").write_text(ROLES_WORKFLOW)
    settings = conftest.test_settings(database_url, workflows_dir=folder,
                                      anchor_dir=tmp_path / "anchors",
                                      cpd_provider_reference=PROVIDER_REFERENCE, **overrides)
    clock = ManualClock(utcnow())
    domains = tuple(_training_domain() if d.name == "training" else d for d in DOMAINS)
    services = build_services(settings, clock=clock, domains=domains)
    assert roles <= set(services.catalog.roles())
    ticker = Ticker(services, "test-ticker")
    app = create_app(settings, services=services)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as client:
        yield World(services, client, settings, clock, ticker)
    await ticker.stop()
    await services.db.dispose()


@dataclass
class Issued:
    number: str
    learner_id: int
    learner_token: str
    name: str
    email: str
    status_index: int


async def organisation(world: World, name: str) -> int:
    async with world.services.db.write() as session:
        org = await world.services.people.add_organisation(session, kind="recruiter", name=name,
                                                           country="NP")
        assert org.id is not None
        return org.id


async def course(world: World, key: str = "trafficking-awareness-frontline") -> int:
    now = world.clock()
    async with world.services.db.write() as session:
        row = Course(key=key, version=1, title="Trafficking awareness for frontline professionals",
                     topics=["what trafficking is", "trafficking versus smuggling", "indicators",
                             "what to do when concerned"],
                     audiences=["social workers", "police"], format="in_person",
                     duration_minutes=210, active_minutes=180, cpd_hours=3.0,
                     attendance_threshold=80, pass_mark=70, language="en", document={},
                     created_at=now)
        session.add(row)
        await session.flush()
        assert row.id is not None
        return row.id


async def issue(world: World, course_id: int, *, name: str = "Anita Gurung",
                email: str = "anita.gurung@mail.example", organisation_id: int | None = None,
                status_index: int = 7, valid_until: date | None = None) -> Issued:
    """A learner, an enrolment case, and the certificate issued to them."""
    vault, now = world.services.vault, world.clock()
    token = f"learner-token-{status_index}"
    async with world.services.db.write() as session:
        learner = Learner(sector="police", organisation_id=organisation_id, created_at=now,
                          email_digest=link_token_digest(email),
                          link_token_hash=link_token_digest(token))
        session.add(learner)
        await session.flush()
        assert learner.id is not None
        learner.name_sealed = vault.seal(name, place=f"training-learner:{learner.id}:name")
        learner.email_sealed = vault.seal(email, place=f"training-learner:{learner.id}:email")
        case = Case(workflow="enrolment", workflow_version=1, state="certified",
                    organisation_id=organisation_id, created_at=now, updated_at=now)
        session.add(case)
        await session.flush()
        assert case.id is not None
        c = await session.get(Course, course_id)
        assert c is not None
        number = new_certificate_number()
        session.add(Certificate(
            id=number, enrolment_case_id=case.id, learner_id=learner.id,
            organisation_id=organisation_id, course_id=course_id, course_key=c.key,
            course_title=c.title, topics=list(c.topics), cpd_hours=c.cpd_hours,
            provider_reference=world.settings.cpd_provider_reference,
            awarded_on=(now - timedelta(days=2)).date(), valid_until=valid_until,
            learner_name_sealed=vault.seal(name, place=certificate_name_place(number)),
            status_index=status_index, issued_at=now))
    return Issued(number, learner.id, token, name, email, status_index)


async def revoke(world: World, number: str, *, superseded_by: str | None = None,
                 when: datetime | None = None) -> None:
    async with world.services.db.write() as session:
        row = await session.get(Certificate, number)
        assert row is not None
        row.revoked_at = when or world.clock()
        row.superseded_by = superseded_by


async def erase_name(world: World, issued: Issued) -> None:
    """What retention does to a certificate and its learner."""
    async with world.services.db.write() as session:
        row = await session.get(Certificate, issued.number)
        learner = await session.get(Learner, issued.learner_id)
        assert row is not None and learner is not None
        row.learner_name_sealed = None
        learner.name_sealed = learner.email_sealed = learner.link_token_hash = None
        learner.erased_at = world.clock()

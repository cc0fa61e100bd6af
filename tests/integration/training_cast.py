"""Training scenes for integration tests: the staff, a course, a session open for registration,
learners enrolling over HTTP and the tokens e-mailed to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from httpx import Response

from iris_engine.training.staffing import ensure_course
from tests.integration.conftest import Actor, World

SESSIONS = "/api/v1/training/sessions"
ENROLMENTS = "/api/v1/training/enrolments"
FRONTLINE = "trafficking-awareness-frontline"
PREREQUISITE = "iris-ethical-recruitment-foundations"


@dataclass
class TrainingCast:
    world: World
    coordinator: Actor
    trainer: Actor
    other_trainer: Actor
    #: an organisation's coordinator (a police force)
    police: Actor
    courses: dict[str, int]


async def training_cast(world: World) -> TrainingCast:
    now = world.clock()
    courses = {key: await ensure_course(world.services, key, now) for key in (FRONTLINE, PREREQUISITE)}
    return TrainingCast(
        world,
        coordinator=await world.staff("coordinator@training.example", "training_coordinator",
                                      organisation="IRIS Training", kind="scheme"),
        trainer=await world.staff("trainer@training.example", "trainer",
                                  organisation="IRIS Training", kind="scheme"),
        other_trainer=await world.staff("trainer2@training.example", "trainer",
                                        organisation="IRIS Training", kind="scheme"),
        police=await world.staff("training@police.example", "organisation_coordinator",
                                 organisation="Metropolitan Police", kind="authority"),
        courses=courses)


async def fire(actor: Actor, path: str, case_id: int, event: str, **body: Any) -> Response:
    revision = (await actor.get(f"{path}/{case_id}")).json()["revision"]
    return await actor.post(f"{path}/{case_id}/transitions",
                            {"event": event, "expected_revision": revision, **body})


async def open_session(tc: TrainingCast, *, course: str = FRONTLINE, capacity: int = 20,
                       starts_in: timedelta = timedelta(days=7), trainer: Actor | None = None,
                       ) -> int:
    """A session planned by the coordinator and open for registration; answers its id."""
    starts: datetime = tc.world.clock() + starts_in
    r = await tc.coordinator.post(SESSIONS, {
        "course_id": tc.courses[course], "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3, minutes=30)).isoformat(), "venue": "Leeds Civic Hall",
        "language": "en", "capacity": capacity, "trainer_id": (trainer or tc.trainer).user_id})
    assert r.status_code == 201, r.text
    session_id: int = r.json()["id"]
    r = await fire(tc.coordinator, SESSIONS, session_id, "open_registration")
    assert r.status_code == 200, r.text
    return session_id


async def emailed_token(world: World, address: str, topic: str) -> str:
    """The token (the one indented line) of the last ``topic`` e-mail to ``address``."""
    mails = [m for m in await world.emails_to(address) if m.topic == topic]
    assert mails, f"no {topic} e-mail to {address}"
    lines = [line.strip() for line in mails[-1].payload["text"].splitlines() if line.startswith("    ")]
    assert len(lines) == 1, mails[-1].payload
    return lines[0]


async def self_enrol(world: World, session_id: int, name: str, email: str,
                     sector: str = "social_care") -> str:
    """A learner asks to enrol; answers the confirmation token e-mailed to them."""
    r = await world.client.post(f"{SESSIONS}/{session_id}/enrolments", json={
        "name": name, "email": email, "sector": sector, "organisation": "Leeds City Council"})
    assert r.status_code == 202, r.text
    return await emailed_token(world, email, "training.confirm")


async def confirm(world: World, token: str) -> Response:
    return await world.client.post(f"{ENROLMENTS}/confirm", json={"token": token})


def staff_csv(*rows: tuple[str, str, str]) -> bytes:
    lines = ["name,email,sector", *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


async def bulk(actor: Actor, session_id: int, body: bytes) -> Response:
    return await actor.client.post(f"{SESSIONS}/{session_id}/enrolments/bulk", content=body,
                                   headers={**actor.headers, "Content-Type": "text/csv"})

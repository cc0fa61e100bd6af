"""Every role against every training endpoint: sessions, enrolments, bulk enrolment, name
correction (behind a login), and the public ones (the open list, self-enrolment, confirmation,
the learner's record), which answer every caller alike. The expected status per actor is written
from workflows/training_session.yaml and enrolment.yaml (``access`` and each event's ``roles``)
and the services' own checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx import Response

from tests.integration.conftest import World, assert_problem
from tests.integration.training_cast import (
    ENROLMENTS,
    SESSIONS,
    bulk,
    open_session,
    staff_csv,
    training_cast,
)

ACTORS = ("anonymous", "recruiter", "auditor", "admin", "coordinator", "trainer",
          "other_trainer", "police", "council")
Row = tuple[str, str, Any, dict[str, int]]
#: a CSV whose one row is wrong: a coordinator who may enrol gets 422, nobody is enrolled
BAD_CSV = "name,email,sector\r\nPriya Shah,priya@police.example,plumbing\r\n"


def expect(ok: str, ok_status: int = 200, *, other: int = 403, **special: int) -> dict[str, int]:
    allowed = set(ok.split())
    assert allowed <= set(ACTORS), allowed - set(ACTORS)
    table = {a: ok_status if a in allowed else other for a in ACTORS}
    table["anonymous"] = 401
    table.update(special)
    return table


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ACTORS, status)


def training_rows(session_id: int, enrolment_id: int) -> list[Row]:
    """Every training endpoint, with who gets what (order matters: none changes a state)."""
    s, e = f"{SESSIONS}/{session_id}", f"{ENROLMENTS}/{enrolment_id}"
    plan = {"course_id": 1, "starts_at": "2099-01-01T09:00:00Z", "ends_at": "2099-01-01T12:00:00Z",
            "venue": "online", "language": "en", "capacity": 5, "trainer_id": 1}
    stale = {"event": "cancel", "expected_revision": 999, "reason_code": "coordinator_cancelled"}
    return [
        ("GET", SESSIONS, None, expect("coordinator trainer other_trainer")),
        ("POST", SESSIONS, plan, expect("", other=403, coordinator=422)),
        ("GET", s, None, expect("coordinator trainer")),
        ("GET", f"{s}/transitions", None, expect("coordinator trainer")),
        ("GET", f"{s}/history", None, expect("coordinator trainer")),
        ("POST", f"{s}/transitions", {"event": "open_registration", "expected_revision": 2},
         expect("", coordinator=409)),
        ("POST", f"{s}/enrolments/bulk", BAD_CSV, expect("police council", 422)),
        ("GET", ENROLMENTS, None, expect("coordinator trainer other_trainer police council")),
        ("GET", e, None, expect("coordinator trainer police")),
        ("GET", f"{e}/transitions", None, expect("coordinator trainer police")),
        ("GET", f"{e}/history", None, expect("coordinator trainer police")),
        ("POST", f"{e}/transitions", stale, expect("coordinator police", 409)),
        ("POST", f"{e}/name-correction", {"name": "Priya Shah", "expected_revision": 999},
         expect("coordinator", 409)),
        # public: the same for everyone, a login or not
        ("GET", f"{SESSIONS}/open", None, everyone(200)),
        ("POST", f"{s}/enrolments", {"name": "Asha Rai", "email": "asha@council.example",
                                     "sector": "housing"}, everyone(202)),
        ("POST", f"{ENROLMENTS}/confirm", {"token": "not-a-token"}, everyone(404)),
        ("GET", "/api/v1/training/me", None, everyone(401)),
        ("POST", f"/api/v1/training/me/enrolments/{enrolment_id}/cancel?revision=1", None,
         everyone(401)),
    ]


@dataclass
class Scene:
    world: World
    tokens: dict[str, str | None]

    async def call(self, actor: str, method: str, path: str, body: Any) -> Response:
        token = self.tokens[actor]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if path.startswith("/api/v1/training/me"):
            headers["X-Learner-Token"] = "not-a-link-token"
        if isinstance(body, str):
            return await self.world.client.request(method, path, content=body.encode(),
                                                   headers={**headers, "Content-Type": "text/csv"})
        return await self.world.client.request(method, path, json=body, headers=headers)


async def test_every_role_against_every_training_endpoint(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc)
    r = await bulk(tc.police, session_id, staff_csv(("Priya Shah", "priya@police.example", "police")))
    assert r.status_code == 201, r.text
    [enrolled] = r.json()["enrolled"]
    council = await world.staff("training@council.example", "organisation_coordinator",
                                organisation="Leeds City Council", kind="authority")
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    auditor = await world.staff("auditor@audit.example", "auditor")
    admin = await world.staff("admin@scheme.example", "admin", organisation="Scheme", kind="scheme")
    scene = Scene(world, {
        "anonymous": None, "recruiter": recruiter.token, "auditor": auditor.token,
        "admin": admin.token, "coordinator": tc.coordinator.token, "trainer": tc.trainer.token,
        "other_trainer": tc.other_trainer.token, "police": tc.police.token,
        "council": council.token})
    mismatches = []
    for method, path, body, table in training_rows(session_id, enrolled["enrolment_id"]):
        for actor in ACTORS:
            r = await scene.call(actor, method, path, body)
            where = f"{actor:>14} {method} {path}"
            if r.status_code != table[actor]:
                mismatches.append(f"{where}: got {r.status_code}, expected {table[actor]}: "
                                  f"{r.text[:160]}")
            elif r.status_code >= 400:
                try:
                    assert_problem(r)
                except (AssertionError, ValueError, KeyError) as exc:
                    mismatches.append(f"{where}: {r.status_code} is not problem+json: {exc}")
    # the lists are scoped, not just allowed: who finds the enrolment and the session in them
    for path, case_id, seen_by in [(SESSIONS, session_id, "coordinator trainer"),
                                   (ENROLMENTS, enrolled["enrolment_id"], "coordinator trainer police")]:
        for actor in ACTORS[1:]:
            r = await scene.call(actor, "GET", path, None)
            if r.status_code == 200:
                sees = case_id in [item["id"] for item in r.json()]
                if sees != (actor in seen_by.split()):
                    mismatches.append(f"{actor:>14} GET {path}: case {case_id} listed={sees}")
    assert not mismatches, "\n" + "\n".join(mismatches)

"""Training statistics read straight from the tables (session and enrolment cases, their
details, learners, certificates), with rows inserted as the workflows would leave them: what
each figure counts, the date range and course filters, and who sees which organisation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from iris_engine.training.course_document import check_course
from iris_engine.training.courses import demo_course_documents
from iris_engine.training.models import Certificate, Course, Enrolment, Learner, TrainingSession
from tests.integration.catalogue_support import case_row, catalogue_world
from tests.integration.conftest import Actor, World, assert_problem

STATS = "/api/v1/training/statistics"


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async for w in catalogue_world(database_url, tmp_path):
        yield w


@dataclass
class Scene:
    coordinator: Actor
    police: Actor  # the coordinator of a police force, which enrolled two officers
    trainer: Actor
    recruiter: Actor
    police_org: int
    recruiter_org: int


def _course(doc: dict[str, Any], version: int, title: str | None = None) -> Course:
    facts = check_course({k: v for k, v in doc.items() if k != "cpd_hours"})
    return Course(key=facts.key, version=version, title=title or facts.title, topics=facts.topics,
                  audiences=facts.audiences, format=facts.format,
                  duration_minutes=facts.duration_minutes, active_minutes=facts.active_minutes,
                  cpd_hours=facts.cpd_hours, attendance_threshold=facts.attendance_threshold,
                  pass_mark=facts.pass_mark, language=facts.language,
                  accreditation_prerequisite=facts.accreditation_prerequisite,
                  certificate_validity=facts.certificate_validity, document=facts.document,
                  created_at=datetime.now(UTC))


async def _story(world: World) -> Scene:
    """Three sessions held (two of the frontline course, one for recruiters), one cancelled, one
    to come; learners at every stage; a reissued certificate and a revoked one."""
    scene = Scene(
        coordinator=await world.staff("coordinator@training.example", "training_coordinator",
                                      organisation="Training Provider", kind="scheme"),
        police=await world.staff("training@police.example", "organisation_coordinator",
                                 organisation="County Police", kind="authority"),
        trainer=await world.staff("trainer@training.example", "trainer",
                                  organisation="Training Provider", kind="scheme"),
        recruiter=await world.recruiter("Everest Fair Recruitment", certified=False),
        police_org=0, recruiter_org=0)
    scene.police_org, scene.recruiter_org = scene.police.organisation_id, scene.recruiter.organisation_id
    recruiters_doc, frontline_doc = demo_course_documents()
    now = datetime.now(UTC)
    async with world.services.db.write() as s:
        a1, a2 = _course(frontline_doc, 1), _course(frontline_doc, 2, "Frontline awareness 2027")
        b1 = _course(recruiters_doc, 1)
        s.add_all([a1, a2, b1])
        await s.flush()

        async def session_case(course: Course, state: str, day: date) -> int:
            case = case_row("training_session", state)
            s.add(case)
            await s.flush()
            start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            s.add(TrainingSession(case_id=case.id or 0, course_id=course.id or 0, starts_at=start,
                                  ends_at=start + timedelta(hours=4), venue="Leeds", language="en",
                                  capacity=20))
            return case.id or 0

        s1 = await session_case(a1, "delivered", date(2026, 3, 10))
        s2 = await session_case(a2, "closed", date(2026, 5, 5))
        s3 = await session_case(b1, "delivered", date(2026, 4, 1))
        s4 = await session_case(a2, "cancelled", date(2026, 4, 2))
        s5 = await session_case(a2, "registration_open", date(2027, 1, 5))

        def learner(sector: str, org: int | None = None) -> Learner:
            row = Learner(sector=sector, organisation_id=org, created_at=now)
            s.add(row)
            return row

        l1, l2 = learner("police", scene.police_org), learner("police", scene.police_org)
        l3, l6 = learner("health"), learner("health")
        l4, l5 = learner("recruiters", scene.recruiter_org), learner("recruiters", scene.recruiter_org)
        await s.flush()
        serial = iter(range(1, 100))

        async def enrol(session_id: int, who: Learner, state: str, minutes: int | None = None,
                        course: Course | None = None, certificates: int = 0,
                        revoked: bool = False) -> None:
            case = case_row("enrolment", state, who.organisation_id)
            s.add(case)
            await s.flush()
            s.add(Enrolment(case_id=case.id or 0, session_case_id=session_id,
                            learner_id=who.id or 0, minutes_present=minutes, requested_at=now))
            numbers = [f"T{session_id}-{case.id}-{i}" for i in range(certificates)]
            for i, number in enumerate(numbers):
                assert course is not None
                s.add(Certificate(
                    id=number, enrolment_case_id=case.id or 0, learner_id=who.id or 0,
                    organisation_id=who.organisation_id, course_id=course.id or 0,
                    course_key=course.key, course_title=course.title, topics=course.topics,
                    cpd_hours=course.cpd_hours, provider_reference="CPD-1", awarded_on=date(2026, 5, 5),
                    status_index=next(serial), issued_at=now,
                    revoked_at=now if revoked or i < len(numbers) - 1 else None,
                    superseded_by=numbers[i + 1] if i < len(numbers) - 1 else None))
            await s.flush()

        await enrol(s1, l1, "certified", 180, a1, certificates=1)
        await enrol(s1, l2, "no_show")
        await enrol(s1, l3, "failed", 60)
        await enrol(s1, l6, "cancelled")
        await enrol(s2, l1, "certified", 180, a2, certificates=2)  # reissued: counted once
        await enrol(s2, l3, "waitlisted")
        await enrol(s2, l6, "revoked", 175, a2, certificates=1, revoked=True)
        await enrol(s3, l4, "certified", 210, b1, certificates=1)
        await enrol(s3, l5, "confirmed")  # attendance not recorded yet
        await enrol(s4, l2, "cancelled")
        await enrol(s5, l3, "confirmed")
    return scene


def _by_course(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["course_key"]: c for c in body["by_course"]}


async def test_every_figure_for_a_training_coordinator(world: World) -> None:
    scene = await _story(world)
    r = await scene.coordinator.get(STATS)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["sessions_held"], body["confirmed"], body["attended"], body["certified"]) == (
        3, 7, 5, 4)
    assert (body["attendance_rate"], body["pass_rate"], body["cpd_hours_delivered"]) == (
        0.7143, 0.8, 12.5)
    assert body["learners_by_sector"] == [{"sector": "health", "learners": 2},
                                          {"sector": "police", "learners": 2},
                                          {"sector": "recruiters", "learners": 2}]
    assert body["organisation_id"] is None and body["from"] is None
    courses = _by_course(body)
    frontline = courses["trafficking-awareness-frontline"]
    assert frontline["title"] == "Frontline awareness 2027"  # the latest version's
    assert {k: frontline[k] for k in ("sessions_held", "confirmed", "attended", "certified",
                                      "attendance_rate", "pass_rate", "cpd_hours_delivered")} == {
        "sessions_held": 2, "confirmed": 5, "attended": 4, "certified": 3,
        "attendance_rate": 0.8, "pass_rate": 0.75, "cpd_hours_delivered": 9.0}
    recruiters = courses["iris-ethical-recruitment-foundations"]
    assert (recruiters["confirmed"], recruiters["attended"], recruiters["pass_rate"],
            recruiters["cpd_hours_delivered"]) == (2, 1, 1.0, 3.5)
    assert "name" not in r.text and "email" not in r.text


async def test_the_range_and_the_course_narrow_the_figures(world: World) -> None:
    scene = await _story(world)
    april = (await scene.coordinator.get(STATS, params={"from": "2026-04-01",
                                                        "to": "2026-04-30"})).json()
    assert [c["course_key"] for c in april["by_course"]] == ["iris-ethical-recruitment-foundations"]
    assert (april["sessions_held"], april["from"], april["to"]) == (1, "2026-04-01", "2026-04-30")
    one_day = (await scene.coordinator.get(STATS, params={"from": "2026-03-10",
                                                          "to": "2026-03-10"})).json()
    assert (one_day["sessions_held"], one_day["confirmed"], one_day["cpd_hours_delivered"]) == (
        1, 3, 3.0)
    later = (await scene.coordinator.get(STATS, params={"from": "2026-05-06"})).json()
    assert (later["sessions_held"], later["by_course"], later["attendance_rate"]) == (0, [], None)
    course = (await scene.coordinator.get(STATS, params={
        "course": "iris-ethical-recruitment-foundations"})).json()
    assert (course["sessions_held"], course["learners_by_sector"]) == (
        1, [{"sector": "recruiters", "learners": 2}])
    r = await scene.coordinator.get(STATS, params={"from": "2026-05-01", "to": "2026-04-01"})
    assert r.status_code == 422
    assert_problem(r)
    r = await scene.coordinator.get(STATS, params={"from": "2026-02-30"})
    assert r.status_code == 422 and [e["pointer"] for e in r.json()["errors"]] == ["/query/from"]
    for bad in ({"from": "2026-13-01"}, {"to": "2026-1-1"}, {"course": "x\u0000"}, {"organisation_id": "0"},
                {"to": "yesterday"}, {"course": "k" * 51}, {"colour": "red"}):
        r = await scene.coordinator.get(STATS, params=bad)
        assert 400 <= r.status_code < 500, (bad, r.text)
        assert_problem(r)


async def test_an_organisations_coordinator_sees_its_own_staff_only(world: World) -> None:
    scene = await _story(world)
    r = await scene.police.get(STATS)
    assert r.status_code == 200, r.text
    own = r.json()
    assert own["organisation_id"] == scene.police_org
    assert own["learners_by_sector"] == [{"sector": "police", "learners": 2}]
    assert [c["course_key"] for c in own["by_course"]] == ["trafficking-awareness-frontline"]
    assert (own["sessions_held"], own["confirmed"], own["attended"], own["certified"],
            own["cpd_hours_delivered"]) == (2, 3, 2, 2, 6.0)
    # asking for its own is the same; another's is refused
    assert (await scene.police.get(STATS, params={"organisation_id": scene.police_org})).json() == own
    r = await scene.police.get(STATS, params={"organisation_id": scene.recruiter_org})
    assert r.status_code == 403
    assert_problem(r)
    # a training coordinator may narrow to one organisation and sees the same
    narrowed = (await scene.coordinator.get(STATS, params={"organisation_id": scene.police_org})).json()
    assert narrowed == own
    recruiter_staff = (await scene.coordinator.get(
        STATS, params={"organisation_id": scene.recruiter_org})).json()
    assert (recruiter_staff["confirmed"], recruiter_staff["cpd_hours_delivered"]) == (2, 3.5)


async def test_other_roles_see_no_statistics(world: World) -> None:
    scene = await _story(world)
    for actor in (scene.trainer, scene.recruiter):
        r = await actor.get(STATS)
        assert r.status_code == 403
        assert_problem(r)
    r = await world.client.get(STATS)
    assert r.status_code == 401
    assert_problem(r)

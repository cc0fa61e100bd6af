"""Training gates accreditation (issue #12 item 6), through HTTP on both databases: a recruiter
submits only once enough of its people hold a valid certificate of the prerequisite course
(``prerequisite_training`` in the accreditation workflow's settings), and the refusal says which
course, how many are needed and held, and where to enrol.

The certificates here are rows as issued (``training_certificate``): what the guard reads. How
they come to be issued is the enrolment flow's own tests' story."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from iris_engine.store.models import Case
from iris_engine.training.course_document import check_course
from iris_engine.training.courses import demo_course_documents
from iris_engine.training.models import Certificate, Course, Learner, TrainingSession
from iris_engine.training.numbers import new_certificate_number
from iris_engine.training.qualifications import TrainingRecords
from tests.integration.conftest import (
    SCOPE,
    Actor,
    World,
    assert_problem,
    valid_self_assessment,
)
from tests.training_support import certify_staff

PREREQUISITE = "iris-ethical-recruitment-foundations"
AWARENESS = "trafficking-awareness-frontline"
ENROL_HREF = f"/api/v1/training/sessions/open?course={PREREQUISITE}"
GUARD = "prerequisite_training_held"
_status_index = count(1)


def _now(world: World) -> datetime:
    return world.clock()


async def course(world: World, key: str = PREREQUISITE, version: int = 1,
                 title: str | None = None) -> Course:
    """A version of one of the demo courses (as training's own scripts hold them)."""
    [document] = [d for d in demo_course_documents() if d["key"] == key]
    facts = check_course({**document, **({"title": title} if title else {})})
    row = Course(key=key, version=version, title=facts.title, topics=facts.topics,
                 audiences=facts.audiences, format=facts.format,
                 duration_minutes=facts.duration_minutes, active_minutes=facts.active_minutes,
                 cpd_hours=facts.cpd_hours, attendance_threshold=facts.attendance_threshold,
                 pass_mark=facts.pass_mark, language=facts.language,
                 accreditation_prerequisite=facts.accreditation_prerequisite,
                 certificate_validity=facts.certificate_validity, document=facts.document,
                 created_at=_now(world))
    async with world.services.db.write() as session:
        session.add(row)
    return row


async def open_session(world: World, course_row: Course, starts_at: datetime,
                       state: str = "registration_open") -> None:
    """A session of the course in ``state`` (a case row and its detail, as the engine keeps)."""
    async with world.services.db.write() as session:
        case = Case(workflow="training_session", workflow_version=1, state=state,
                    created_at=_now(world), updated_at=_now(world))
        session.add(case)
        await session.flush()
        session.add(TrainingSession(case_id=case.id or 0, course_id=course_row.id or 0,
                                    starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                                    venue="online", language="en", capacity=20))


async def certify(world: World, organisation_id: int | None, course_row: Course, *,
                  learner_id: int | None = None, valid_until: date | None = None,
                  revoked: bool = False) -> Certificate:
    """A certificate as issued to a learner of ``organisation_id`` (a new learner unless
    ``learner_id``), with the enrolment case it came from."""
    now = _now(world)
    async with world.services.db.write() as session:
        if learner_id is None:
            learner = Learner(organisation_id=organisation_id, sector="recruitment",
                              created_at=now)
            session.add(learner)
            await session.flush()
            learner_id = learner.id
        enrolment = Case(workflow="enrolment", workflow_version=1,
                         state="revoked" if revoked else "certified",
                         organisation_id=organisation_id, created_at=now, updated_at=now)
        session.add(enrolment)
        await session.flush()
        row = Certificate(
            id=new_certificate_number(), enrolment_case_id=enrolment.id or 0,
            learner_id=learner_id or 0, organisation_id=organisation_id,
            course_id=course_row.id or 0, course_key=course_row.key,
            course_title=course_row.title, topics=course_row.topics,
            cpd_hours=course_row.cpd_hours, provider_reference="CPD-TEST",
            awarded_on=now.date() - timedelta(days=30), valid_until=valid_until,
            status_index=next(_status_index), issued_at=now,
            revoked_at=now if revoked else None)
        session.add(row)
    return row


async def drafted(recruiter: Actor) -> int:
    """An application ready to submit but for the training: self-assessment and scope."""
    r = await recruiter.post("/api/v1/applications", {"self_assessment": valid_self_assessment()})
    assert r.status_code == 201, r.text
    case_id: int = r.json()["id"]
    r = await recruiter.fire(case_id, "update_scope", data=SCOPE)
    assert r.status_code == 200, r.text
    return case_id


def refusal_of(r: Any) -> str:
    """The prerequisite guard's message in a 422 (and that it is the only guard failing)."""
    assert r.status_code == 422, r.text
    assert_problem(r)
    guards = r.json()["extra"]["guards"]
    assert [g["guard"] for g in guards] == [GUARD], guards
    assert GUARD in r.json()["detail"]
    message: str = guards[0]["message"]
    return message


async def test_a_recruiter_without_a_certified_person_cannot_submit_until_one_is(
        world: World) -> None:
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    foundations = await course(world)
    starts = _now(world) + timedelta(days=9)
    await open_session(world, foundations, starts)
    await open_session(world, foundations, starts + timedelta(days=7))
    await open_session(world, foundations, starts - timedelta(days=3), state="planned")
    case_id = await drafted(recruiter)

    message = refusal_of(await recruiter.fire(case_id, "submit"))
    assert "needs 1 person holding a valid certificate" in message
    assert f"({PREREQUISITE}) and has 0" in message
    assert f"enrol at GET {ENROL_HREF}" in message
    # the next session open for registration (a planned one takes no enrolments yet)
    assert f"next session {starts.date().isoformat()}" in message
    # what may fire says so before the recruiter tries
    listed = {t["event"]: t for t in (await recruiter.get(
        f"/api/v1/applications/{case_id}/transitions")).json()}
    assert [b["guard"] for b in listed["submit"]["blocked_by"]] == [GUARD]

    # one of its staff enrolled by its coordinator and certified by the trainer
    [number] = await certify_staff(world, recruiter.organisation_id)
    async with world.services.db.read() as session:
        issued = await session.get(Certificate, number)
    assert issued is not None and issued.course_key == PREREQUISITE
    r = await recruiter.fire(case_id, "submit")
    assert r.status_code == 200 and r.json()["state"] == "submitted", r.text


async def test_revoked_expired_other_courses_and_other_organisations_do_not_count(
        world: World) -> None:
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    other = await world.recruiter("Kathmandu Placement", certified=False)
    foundations = await course(world)
    awareness = await course(world, AWARENESS)
    today = _now(world).date()
    org = recruiter.organisation_id
    await certify(world, org, foundations, revoked=True)
    await certify(world, org, foundations, valid_until=today - timedelta(days=1))
    await certify(world, org, awareness)
    await certify(world, other.organisation_id, foundations)
    await certify(world, None, foundations)  # a learner who enrolled on their own
    case_id = await drafted(recruiter)

    message = refusal_of(await recruiter.fire(case_id, "submit"))
    assert "and has 0" in message
    # no session open: the refusal still says where to look
    assert f"enrol at GET {ENROL_HREF} (no session open for registration yet)" in message

    await certify(world, org, foundations, valid_until=today)  # valid through today
    r = await recruiter.fire(case_id, "submit")
    assert r.status_code == 200 and r.json()["state"] == "submitted", r.text


async def test_a_certificate_revoked_later_no_longer_counts(world: World) -> None:
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    foundations = await course(world)
    held = await certify(world, recruiter.organisation_id, foundations)
    async with world.services.db.write() as session:
        await session.execute(update(Certificate).where(col(Certificate.id) == held.id)
                              .values(revoked_at=_now(world)))
    case_id = await drafted(recruiter)
    assert "and has 0" in refusal_of(await recruiter.fire(case_id, "submit"))


async def test_holders_counts_people_not_certificates(world: World) -> None:
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    foundations = await course(world)
    revised = await course(world, version=2, title="IRIS ethical recruitment foundations (2027)")
    awareness = await course(world, AWARENESS)
    org = recruiter.organisation_id
    first = await certify(world, org, foundations)
    await certify(world, org, revised, learner_id=first.learner_id)  # the same person again
    await certify(world, org, awareness, learner_id=first.learner_id)
    await certify(world, org, awareness)
    records = TrainingRecords(world.clock)
    today = _now(world).date()
    async with world.services.db.read() as session:
        assert await records.holders(session, organisation_id=org, course_keys=[PREREQUISITE],
                                     on=today) == 1
        assert await records.holders(session, organisation_id=org,
                                     course_keys=[PREREQUISITE, AWARENESS], on=today) == 2
        assert await records.holders(session, organisation_id=org, course_keys=[],
                                     on=today) == 0
        offers = await records.offers(session, [PREREQUISITE, "no-such-course", AWARENESS])
    # the latest version's title; an unknown key is no offer
    assert [(o.course_key, o.title, o.enrol_href, o.next_session_starts) for o in offers] == [
        (PREREQUISITE, "IRIS ethical recruitment foundations (2027)", ENROL_HREF, None),
        (AWARENESS, "Human trafficking awareness for frontline professionals",
         f"/api/v1/training/sessions/open?course={AWARENESS}", None)]


async def test_a_course_not_in_the_catalogue_is_named_in_the_refusal(world: World) -> None:
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    case_id = await drafted(recruiter)
    message = refusal_of(await recruiter.fire(case_id, "submit"))
    assert f"'{PREREQUISITE}' (not in the training catalogue yet)" in message


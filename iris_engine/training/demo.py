"""The training demo: the two courses, sessions in the past (delivered, records closed, one
cancelled) and the future (open, one still planned), learners at every stage (requested,
confirmed, waitlisted, cancelled, no-show, failed, certified), certificates, one revoked and one
reissued after a name correction. ``certify_demo_staff`` is what the accreditation demo calls
to give a recruiter its certified person, through the same flow."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from iris_engine.domain import DemoLogin, DemoSeed
from iris_engine.training.bulk import StaffRow
from iris_engine.training.schemas import NameCorrection, SelfEnrolment, SessionCreate
from iris_engine.training.staffing import (
    DEMO_COURSES,
    PREREQUISITE,
    TrainingDesk,
    certify_organisation_staff,
    ensure_course,
)

if TYPE_CHECKING:
    from datetime import datetime

    from iris_engine.cases import Principal

__all__ = ["certify_demo_staff", "seed_demo"]

FRONTLINE = "trafficking-awareness-frontline"
_FIRST = ["Amara", "Ben", "Chloe", "Dev", "Efua", "Farid", "Grace", "Hamza", "Ines", "Jonah",
          "Kavya", "Liam", "Mei", "Nikolai", "Olu", "Priya", "Rosa", "Sami", "Tendai", "Yusuf"]
_LAST = ["Adeyemi", "Brennan", "Chowdhury", "Da Silva", "Evans", "Fofana", "Gurung", "Hughes",
         "Iqbal", "Jankowski", "Kaur", "Lindqvist", "Mensah", "Nowak", "O'Neill", "Patel"]


async def certify_demo_staff(seed: DemoSeed, organisation_id: int, count: int) -> None:
    """Enrol ``count`` staff of the organisation in the accreditation-prerequisite course and
    certify them (its coordinator's bulk enrolment, the trainer's attendance record)."""
    await certify_organisation_staff(seed.services, organisation_id, count, now=seed.now)


def _people(seed: DemoSeed, n: int, domain: str, sector: str, start: int = 2) -> list[StaffRow]:
    rows = []
    for i in range(n):
        first, last = seed.rng.choice(_FIRST), seed.rng.choice(_LAST)
        email = f"{first}.{last}.{seed.rng.randrange(10_000)}@{domain}".lower().replace(" ", "")
        rows.append(StaffRow(start + i, f"{first} {last}", email.replace("'", ""), sector))
    return rows


async def _session(seed: DemoSeed, coordinator: Principal, trainer: Principal, course: str,
                   starts: datetime, capacity: int, *, open_: bool = True) -> int:
    planned_at = min(starts, seed.now) - timedelta(days=21)
    desk = TrainingDesk(seed.services, planned_at)
    course_id = await ensure_course(seed.services, course, planned_at)
    view = await desk.sessions.plan(coordinator, SessionCreate(
        course_id=course_id, starts_at=starts,
        ends_at=starts + timedelta(minutes=DEMO_COURSES[course]["duration_minutes"]),
        venue=seed.rng.choice(["Leeds Civic Hall", "Manchester Town Hall", "online"]),
        language="en", capacity=capacity, trainer_id=trainer.user_id))
    if open_:
        await desk.fire(coordinator, "training_session", view.id, "open_registration")
    return view.id


async def _past_session(seed: DemoSeed, coordinator: Principal, trainer: Principal,
                        council: Principal) -> None:
    """Held two months ago: certified, failed, no-show; one revoked, one reissued."""
    starts = seed.now - timedelta(days=60)
    session_id = await _session(seed, coordinator, trainer, FRONTLINE, starts, 12)
    before = TrainingDesk(seed.services, starts - timedelta(days=7))
    rows = _people(seed, 7, "leeds.gov.example", "social_care")
    enrolled = (await before.enrolling.enrol_rows(council, session_id, rows)).enrolled
    after = TrainingDesk(seed.services, starts + timedelta(hours=5))
    await after.fire(trainer, "training_session", session_id, "deliver")
    minutes = [210, 200, 190, 180, 150, 100]  # 80% of 180 active minutes is 144
    for row, present in zip(enrolled, minutes, strict=False):
        await after.fire(trainer, "enrolment", row.enrolment_id, "record_attendance",
                         data={"minutes_present": present})
    await after.fire(trainer, "enrolment", enrolled[-1].enrolment_id, "mark_no_show")
    await after.fire(coordinator, "training_session", session_id, "close_records")
    later = TrainingDesk(seed.services, starts + timedelta(days=10))
    await later.fire(coordinator, "enrolment", enrolled[0].enrolment_id, "revoke",
                     reason_code="issued_in_error", note="Recorded against the wrong learner")
    revision = (await later.enrolments.get(coordinator, enrolled[1].enrolment_id)).revision
    await later.enrolments.correct_name(coordinator, enrolled[1].enrolment_id, NameCorrection(
        name=rows[1].name + "-Whitfield", expected_revision=revision))


async def _future_sessions(seed: DemoSeed, coordinator: Principal, trainer: Principal,
                           council: Principal) -> None:
    """Open for registration: confirmed, waitlisted, cancelled and still unconfirmed learners;
    one planned, not open yet; one cancelled."""
    desk = TrainingDesk(seed.services, seed.now - timedelta(days=2))
    soon = await _session(seed, coordinator, trainer, FRONTLINE, seed.now + timedelta(days=14), 4)
    enrolled = (await desk.enrolling.enrol_rows(council, soon, _people(
        seed, 6, "leeds.gov.example", "housing"))).enrolled  # 4 seats: two wait
    await desk.fire(council, "enrolment", enrolled[0].enrolment_id, "cancel",
                    reason_code="coordinator_cancelled")  # the first waitlisted takes the seat
    for person in _people(seed, 2, "mail.example", "faith"):
        await desk.enrolling.self_enrol(soon, SelfEnrolment(person.name, person.email, "faith",
                                                            "St Anne's Parish"))
    await _session(seed, coordinator, trainer, PREREQUISITE, seed.now + timedelta(days=21), 30)
    await _session(seed, coordinator, trainer, FRONTLINE, seed.now + timedelta(days=45), 20,
                   open_=False)
    dropped = await _session(seed, coordinator, trainer, FRONTLINE, seed.now + timedelta(days=7), 10)
    await desk.enrolling.enrol_rows(council, dropped, _people(seed, 2, "leeds.gov.example", "police"))
    await TrainingDesk(seed.services, seed.now - timedelta(days=1)).fire(
        coordinator, "training_session", dropped, "cancel", reason_code="trainer_unavailable")


async def seed_demo(seed: DemoSeed) -> list[DemoLogin]:
    coordinator, trainer = await TrainingDesk.staff(seed.services)
    council_org = await _council(seed)
    council = await TrainingDesk.organisation_coordinator(seed.services, council_org)
    for key in DEMO_COURSES:
        await ensure_course(seed.services, key, seed.now - timedelta(days=120))
    await _past_session(seed, coordinator, trainer, council)
    await _future_sessions(seed, coordinator, trainer, council)
    for principal in (coordinator, trainer, council):
        seed.staff[principal.email] = principal
    password = "demo-training-2026"
    return [DemoLogin("training_coordinator", coordinator.email, password, user_id=coordinator.user_id),
            DemoLogin("trainer", trainer.email, password, user_id=trainer.user_id),
            DemoLogin("organisation_coordinator", council.email, password,
                      note="Leeds City Council's staff training", user_id=council.user_id)]


async def _council(seed: DemoSeed) -> int:
    async with seed.services.db.write() as session:
        organisation = await seed.services.people.add_organisation(
            session, kind="authority", name="Leeds City Council (demo)", country="GB")
        return organisation.id or 0

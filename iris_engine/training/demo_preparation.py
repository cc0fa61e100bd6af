"""Training readies demo organisations before another domain's demo acts for them
(``Domain.prepare_demo_organisations``): one of each one's staff certified in the accreditation
prerequisite course through the real flow (its coordinator's bulk enrolment, the trainer's
attendance record), so a recruiter's ``submit`` finds a certified person (accreditation's
``prerequisite_training_held``).

The demo readies hundreds of recruiters, so they share one session held the day before the
demo's now, and their coordinators' accounts share one password hash (as the demo's
recruiters do): per organisation, one account, one bulk enrolment and one attendance record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import col

from iris_engine.store.models import User
from iris_engine.training.bulk import StaffRow
from iris_engine.training.schemas import SessionCreate
from iris_engine.training.staffing import (
    PREREQUISITE,
    TrainingDesk,
    course_of,
    ensure_course,
    principal_of,
)

if TYPE_CHECKING:
    from iris_engine.cases import Principal
    from iris_engine.domain import DemoSeed
    from iris_engine.services import Services

__all__ = ["DEMO_COORDINATOR_PASSWORD", "certify_one_of_their_staff"]

DEMO_COORDINATOR_PASSWORD = "demo-training-2026"


async def certify_one_of_their_staff(seed: DemoSeed, organisation_ids: Sequence[int]) -> None:
    """One staff member of each organisation certified in the prerequisite course."""
    if not organisation_ids:
        return
    services, now = seed.services, seed.now
    course_id = await ensure_course(services, PREREQUISITE, now)
    course = await course_of(services, course_id)
    coordinator, trainer = await TrainingDesk.staff(services)
    coordinators = await _staff_coordinators(services, organisation_ids, seed)
    starts = now - timedelta(days=1)
    before = TrainingDesk(services, starts - timedelta(days=14))
    planned = await before.sessions.plan(coordinator, SessionCreate(
        course_id=course_id, starts_at=starts,
        ends_at=starts + timedelta(minutes=course.duration_minutes), venue="online",
        language="en", capacity=len(organisation_ids), trainer_id=trainer.user_id))
    await before.fire(coordinator, "training_session", planned.id, "open_registration")
    enrolments = []
    for organisation_id, staff_coordinator in zip(organisation_ids, coordinators, strict=True):
        row = StaffRow(2, f"Staff member of organisation {organisation_id}",
                       f"staff.org{organisation_id}.s{planned.id}@learners.example", "recruitment")
        enrolled = await before.enrolling.enrol_rows(staff_coordinator, planned.id, [row])
        enrolments += [r.enrolment_id for r in enrolled.enrolled]
    after = TrainingDesk(services, now)
    await after.fire(trainer, "training_session", planned.id, "deliver")
    score = {"score": 100} if course.pass_mark is not None else {}
    for enrolment_id in enrolments:
        await after.fire(trainer, "enrolment", enrolment_id, "record_attendance",
                         data={"minutes_present": course.duration_minutes, **score})
    await after.fire(coordinator, "training_session", planned.id, "close_records")


async def _staff_coordinators(services: Services, organisation_ids: Sequence[int],
                              seed: DemoSeed) -> list[Principal]:
    """Each organisation's training coordinator (the account enrolling its staff), made with
    one shared password hash where missing."""
    emails = {i: f"training-coordinator-{i}@demo.iris.example" for i in organisation_ids}
    password_hash = await services.people.hash_password(DEMO_COORDINATOR_PASSWORD)
    async with services.db.write() as session:
        found = {u.email: u for u in (await session.scalars(
            select(User).where(col(User.email).in_(list(emails.values()))))).all()}
        for organisation_id, email in emails.items():
            if email not in found:
                found[email] = User(email=email, name="Staff training coordinator (demo)",
                                    password_hash=password_hash, organisation_id=organisation_id,
                                    roles="organisation_coordinator", created_at=seed.now)
                session.add(found[email])
        await session.flush()
        return [principal_of(found[emails[i]]) for i in organisation_ids]

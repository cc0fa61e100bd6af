"""Training's own people for scripted runs (the demo, test helpers): the courses until the
catalogue has them, a training coordinator and a trainer, an organisation's coordinator, and
"enrol these staff and certify them" through the real flow (a coordinator's bulk enrolment,
the trainer's attendance record), walked through the past with a clock of its own."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import Principal
from iris_engine.cases.schemas import TransitionRequest
from iris_engine.people import NewUser
from iris_engine.store.models import Organisation, User
from iris_engine.training.bulk import StaffRow
from iris_engine.training.enrolling import Enrolling
from iris_engine.training.enrolments import EnrolmentService
from iris_engine.training.learners import LearnerBook
from iris_engine.training.mail import LearnerMail
from iris_engine.training.models import Certificate, Course
from iris_engine.training.schemas import SessionCreate
from iris_engine.training.sessions import SessionService

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["DEMO_COURSES", "PREREQUISITE", "TrainingDesk", "certify_organisation_staff",
           "ensure_course", "principal_of"]

PREREQUISITE = "iris-ethical-recruitment-foundations"
#: the two demo courses, as the catalogue would hold them (key -> facts)
DEMO_COURSES: dict[str, dict[str, Any]] = {
    "trafficking-awareness-frontline": {
        "title": "Human trafficking awareness for frontline professionals",
        "topics": ["what-trafficking-is", "trafficking-vs-smuggling", "indicators",
                   "what-to-do-when-concerned"],
        "audiences": ["social_care", "housing", "police", "faith", "health", "home_office"],
        "format": "in_person", "duration_minutes": 210, "active_minutes": 180,
        "attendance_threshold": 80, "pass_mark": None, "language": "en",
        "accreditation_prerequisite": False, "certificate_validity": "P3Y"},
    PREREQUISITE: {
        "title": "IRIS ethical recruitment foundations",
        "topics": ["iris-standard", "employer-pays-principle", "what-trafficking-is", "indicators"],
        "audiences": ["recruitment"], "format": "online", "duration_minutes": 240,
        "active_minutes": 210, "attendance_threshold": 90, "pass_mark": 70, "language": "en",
        "accreditation_prerequisite": True, "certificate_validity": "P2Y"},
}


async def ensure_course(services: Services, key: str, now: datetime) -> int:
    """The latest version of a demo course, added as version 1 if the catalogue lacks it."""
    async with services.db.write() as session:
        found = await session.scalar(select(col(Course.id)).where(col(Course.key) == key)
                                     .order_by(col(Course.version).desc()).limit(1))
        if found is not None:
            return int(found)
        facts = DEMO_COURSES[key]
        course = Course(key=key, version=1, cpd_hours=round(facts["active_minutes"] / 60, 1),
                        document={"key": key, "version": 1, **facts}, created_at=now, **facts)
        session.add(course)
        await session.flush()
        return course.id or 0


def principal_of(user: User) -> Principal:
    return Principal(user.id or 0, user.organisation_id, frozenset(user.role_set), user.email)


async def _user(services: Services, email: str, name: str, role: str, *,
                organisation_id: int | None = None, password: str = "demo-training-2026") -> User:
    """The account with this e-mail, or a new one (in the training provider's organisation
    unless ``organisation_id`` is given)."""
    async with services.db.write() as session:
        user = (await session.scalars(select(User).where(col(User.email) == email))).first()
        if user is not None:
            return user
        if organisation_id is not None:
            organisation = await session.get(Organisation, organisation_id)
        else:
            organisation = (await session.scalars(select(Organisation).where(
                col(Organisation.name) == "IRIS Training (demo)"))).first()
            if organisation is None:
                organisation = await services.people.add_organisation(
                    session, kind="scheme", name="IRIS Training (demo)", country="CH")
        assert organisation is not None
        return await services.people.add_user(session, organisation,
                                              NewUser(email, name, password, (role,)))


class TrainingDesk:
    """Sessions and enrolments walked with a clock of their own (``at``)."""

    def __init__(self, services: Services, at: datetime) -> None:
        engine = services.engine.with_clock(lambda: at)
        learners = LearnerBook(services.vault, services.settings.data_keys)
        self.services = services
        self.sessions = SessionService(services.db, engine, services.settings)
        self.enrolments = EnrolmentService(services.db, engine, learners)
        self.enrolling = Enrolling(services.db, engine, learners,
                                   LearnerMail(services.vault, services.settings))

    @staticmethod
    async def staff(services: Services) -> tuple[Principal, Principal]:
        """The demo training coordinator and trainer (made on first use)."""
        coordinator = await _user(services, "training@demo.iris.example",
                                  "Training Coordinator (demo)", "training_coordinator")
        trainer = await _user(services, "trainer@demo.iris.example", "Trainer (demo)", "trainer")
        return principal_of(coordinator), principal_of(trainer)

    @staticmethod
    async def organisation_coordinator(services: Services, organisation_id: int) -> Principal:
        user = await _user(services, f"training-coordinator-{organisation_id}@demo.iris.example",
                           "Staff training coordinator (demo)", "organisation_coordinator",
                           organisation_id=organisation_id)
        return principal_of(user)

    async def fire(self, who: Principal, workflow: str, case_id: int, event: str,
                   **body: Any) -> Any:
        cases = self.sessions if workflow == "training_session" else self.enrolments
        revision = (await cases.get(who, case_id)).revision
        return await cases.fire(who, case_id, TransitionRequest(event, revision, **body))


async def certify_organisation_staff(services: Services, organisation_id: int, count: int, *,
                                     now: datetime, course_key: str = PREREQUISITE) -> list[str]:
    """Enrol ``count`` staff of the organisation in a session held yesterday and certify them
    (bulk enrolment by its coordinator, attendance by the trainer); answers the numbers."""
    course_id = await ensure_course(services, course_key, now)
    coordinator, trainer = await TrainingDesk.staff(services)
    staff_coordinator = await TrainingDesk.organisation_coordinator(services, organisation_id)
    facts = DEMO_COURSES.get(course_key, DEMO_COURSES[PREREQUISITE])
    starts = now - timedelta(days=1)
    before = TrainingDesk(services, starts - timedelta(days=14))
    planned = await before.sessions.plan(coordinator, SessionCreate(
        course_id=course_id, starts_at=starts,
        ends_at=starts + timedelta(minutes=facts["duration_minutes"]), venue="online",
        language="en", capacity=max(count, 1), trainer_id=trainer.user_id))
    await before.fire(coordinator, "training_session", planned.id, "open_registration")
    rows = [StaffRow(n + 2, f"Staff member {n + 1} of organisation {organisation_id}",
                     f"staff{n + 1}.org{organisation_id}.s{planned.id}@learners.example",
                     "recruitment") for n in range(count)]
    enrolled = await before.enrolling.enrol_rows(staff_coordinator, planned.id, rows)
    after = TrainingDesk(services, now)
    score = {"score": 100} if facts["pass_mark"] is not None else {}
    await after.fire(trainer, "training_session", planned.id, "deliver")
    for row in enrolled.enrolled:
        await after.fire(trainer, "enrolment", row.enrolment_id, "record_attendance",
                         data={"minutes_present": facts["duration_minutes"], **score})
    await after.fire(coordinator, "training_session", planned.id, "close_records")
    async with services.db.read() as session:
        return list((await session.scalars(select(col(Certificate.id)).where(
            col(Certificate.enrolment_case_id).in_([r.enrolment_id for r in enrolled.enrolled])))).all())

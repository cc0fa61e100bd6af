"""Training: CPD courses, their sessions, enrolments, attendance and verifiable certificates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iris_engine.domain import CaseApi, Domain
from iris_engine.training import enrolment_hooks, session_hooks
from iris_engine.training.catalogue import CATALOGUE_ROUTES, catalogue_services
from iris_engine.training.certificate_http import CERTIFICATE_ROUTES
from iris_engine.training.certificates import provide_certificates
from iris_engine.training.controllers import (
    EnrolmentCaseController,
    LearnerController,
    SessionCaseController,
)
from iris_engine.training.demo import seed_demo
from iris_engine.training.demo_preparation import certify_one_of_their_staff
from iris_engine.training.enrolling import Enrolling
from iris_engine.training.enrolments import ENROLMENTS_PATH, EnrolmentService
from iris_engine.training.learner_record import LearnerDesk
from iris_engine.training.learners import LearnerBook
from iris_engine.training.mail import LearnerMail
from iris_engine.training.models import Certificate, Course, Learner
from iris_engine.training.pages import PAGES
from iris_engine.training.qualifications import TrainingRecords
from iris_engine.training.schemas import EnrolmentView, SessionView
from iris_engine.training.sealing import SEALED
from iris_engine.training.sessions import SESSIONS_PATH, SessionService
from iris_engine.training.staff_pages import STAFF_PAGES
from iris_engine.workflow import HookRegistry

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["DOMAIN"]


def _provides(s: Services) -> dict[str, object]:
    learners = LearnerBook(s.vault, s.settings.data_keys)
    mail = LearnerMail(s.vault, s.settings)
    return {
        "training_sessions": SessionService(s.db, s.engine, s.settings),
        "enrolments": EnrolmentService(s.db, s.engine, learners),
        "training_enrolling": Enrolling(s.db, s.engine, learners, mail),
        "training_learners": LearnerDesk(s.db, s.engine, learners),
        "training_mail": mail,
        "training_records": TrainingRecords(s.clock),
        **provide_certificates(s),
        **catalogue_services(s),
    }


DOMAIN = Domain(
    pages=PAGES,
    name="training",
    hooks=HookRegistry.merged(session_hooks.hooks, enrolment_hooks.hooks),
    cases=(
        CaseApi(SessionService, path=SESSIONS_PATH, tag="training sessions", noun="TrainingSession",
                plural="TrainingSessions", view=SessionView,
                audience="(training coordinators all, a trainer those assigned to them)",
                routes=(SessionCaseController,)),
        CaseApi(EnrolmentService, path=ENROLMENTS_PATH, tag="training enrolments",
                noun="Enrolment", plural="Enrolments", view=EnrolmentView,
                audience="(training coordinators all, a trainer those of their sessions, an "
                         "organisation's coordinator its staff's)",
                routes=(EnrolmentCaseController,)),
    ),
    provides=_provides,
    routes=(LearnerController, *CERTIFICATE_ROUTES, *CATALOGUE_ROUTES),
    tables=(Course, Learner, Certificate),
    sealed=SEALED,
    staff_pages=STAFF_PAGES,
    seed_demo=seed_demo,
    prepare_demo_organisations=certify_one_of_their_staff,
)

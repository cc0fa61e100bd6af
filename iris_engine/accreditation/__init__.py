"""The accreditation domain: applications, audits, non-conformities, decisions."""

from __future__ import annotations

# these modules' guards and effects register on ``hooks`` as they are imported
from iris_engine.accreditation import (  # noqa: F401
    appeals,
    licences,
    lifecycle,
    prerequisites,
    scope_hooks,
)
from iris_engine.accreditation.assignments import current_assignments
from iris_engine.accreditation.controllers import ApplicationController
from iris_engine.accreditation.demo import seed_demo
from iris_engine.accreditation.hooks import hooks
from iris_engine.accreditation.models import (
    AccreditationScope,
    NameResemblance,
    NonConformity,
    RecruiterReference,
)
from iris_engine.accreditation.resemblance import on_organisation_added
from iris_engine.accreditation.roster_replay import RosterReplay
from iris_engine.accreditation.schemas import ApplicationView
from iris_engine.accreditation.scope_replay import RosterScopeReplay
from iris_engine.accreditation.service import WORKFLOW, AccreditationService
from iris_engine.accreditation.staff_pages import STAFF_PAGES
from iris_engine.domain import CaseApi, Domain

__all__ = ["DOMAIN", "WORKFLOW", "AccreditationService"]

DOMAIN = Domain(
    name="accreditation",
    hooks=hooks,
    cases=(CaseApi(AccreditationService, path="/api/v1/applications", tag="accreditation",
                   noun="Application", plural="Applications", view=ApplicationView,
                   audience="(a recruiter its own, an auditor those assigned to it)",
                   routes=(ApplicationController,)),),
    provides=lambda s: {"accreditation": AccreditationService(s.db, s.engine, s.codes)},
    tables=(NonConformity, NameResemblance, RecruiterReference, AccreditationScope),
    read_models=(lambda: RosterReplay(WORKFLOW), lambda: RosterScopeReplay(WORKFLOW)),
    staff_pages=STAFF_PAGES,
    seed_demo=seed_demo,
    organisation_added=on_organisation_added,
    current_assignments=current_assignments,
)

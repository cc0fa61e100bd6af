"""The grievance mechanism: anonymous filing, deadlines, referral, findings, remedy, appeal."""

from __future__ import annotations

from iris_engine.domain import CaseApi, Domain
from iris_engine.grievances import hooks, return_referral
from iris_engine.grievances.controllers import (
    ComplainantController,
    GrievanceCaseController,
    grievance_stats,
)
from iris_engine.grievances.demo import seed_demo
from iris_engine.grievances.disclosure import GrievanceDisclosures
from iris_engine.grievances.models import GrievanceMessage
from iris_engine.grievances.pages import PAGES
from iris_engine.grievances.schemas import StaffGrievanceView
from iris_engine.grievances.sealing import SEALED
from iris_engine.grievances.service import WORKFLOW, GrievanceService
from iris_engine.grievances.staff_pages import STAFF_PAGES
from iris_engine.workflow import HookRegistry

__all__ = ["DOMAIN", "WORKFLOW", "GrievanceService"]

DOMAIN = Domain(
    pages=PAGES,
    name="grievances",
    hooks=HookRegistry.merged(hooks.hooks, return_referral.hooks),
    cases=(CaseApi(GrievanceService, path="/api/v1/grievance-cases", tag="grievances (staff)",
                   noun="Grievance", plural="Grievances", view=StaffGrievanceView,
                   audience="(a caseworker its own and unassigned ones, supervisors all, the scheme "
                            "manager those appealed to the last tier)",
                   routes=(GrievanceCaseController,)),),
    provides=lambda s: {
        "grievances": GrievanceService(s.db, s.engine, s.vault, s.failures, s.settings,
                                       s.engine.resources),
        "grievance_disclosures": GrievanceDisclosures(s.vault)},
    routes=(ComplainantController, grievance_stats),
    tables=(GrievanceMessage,),
    sealed=SEALED,
    staff_pages=STAFF_PAGES,
    seed_demo=seed_demo,
)

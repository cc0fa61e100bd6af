"""Return and reintegration: survivors of trafficking who choose to go home, referred by a
partner or from a grievance, through consent, eligibility, a risk assessment with the
origin-country partner, travel, reception, reintegration and monitoring."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iris_engine.domain import CaseApi, Domain
from iris_engine.returns import (
    access,
    budget,
    consent,
    eligibility,
    monitoring,
    nrm,
    partner_hooks,
    plan,
    retention,
    risk,
    travel,
)
from iris_engine.returns.controllers import ReturnCaseController
from iris_engine.returns.demo import seed_demo
from iris_engine.returns.forms import ReturnForms
from iris_engine.returns.forms_http import ReturnFormsController
from iris_engine.returns.identity import SurvivorReads
from iris_engine.returns.identity_http import SurvivorReadController
from iris_engine.returns.intake import ReturnIntake
from iris_engine.returns.models import (
    MonitoringReport,
    ReturnConsent,
    ReturnPartner,
    ReturnService,
)
from iris_engine.returns.partners import ReturnPartners
from iris_engine.returns.partners_http import ReturnPartnerController
from iris_engine.returns.referral_in import ReturnReferrals
from iris_engine.returns.schemas import ReturnView
from iris_engine.returns.sealing import SEALED
from iris_engine.returns.service import RETURNS_PATH, ReturnCaseService
from iris_engine.returns.staff_pages import STAFF_PAGES
from iris_engine.returns.statistics import ReturnStatistics
from iris_engine.returns.statistics_http import return_statistics
from iris_engine.workflow import HookRegistry

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["DOMAIN"]


def _provides(s: Services) -> dict[str, object]:
    cases = ReturnCaseService(s.db, s.engine)
    return {"returns": cases, "survivor_reads": SurvivorReads(cases, s.vault),
            "return_intake": ReturnIntake(s.db, s.engine, s.vault),
            "return_forms": ReturnForms(),
            "return_partners": ReturnPartners(s.db, s.engine, s.people, s.clock),
            "return_referral_desk": ReturnReferrals(s.vault),
            "return_statistics": ReturnStatistics(s.db, s.engine)}


DOMAIN = Domain(
    name="returns",
    hooks=HookRegistry.merged(access.hooks, consent.hooks, eligibility.hooks, nrm.hooks,
                              partner_hooks.hooks, retention.hooks, risk.hooks, budget.hooks,
                              plan.hooks, travel.hooks, monitoring.hooks),
    cases=(CaseApi(ReturnCaseService, path=RETURNS_PATH, tag="returns", noun="Return",
                   plural="Returns", view=ReturnView,
                   audience="(return officers their own and unassigned ones, supervisors all, a "
                            "referrer those it referred, a partner those shared with it while "
                            "the survivor's consent stands)",
                   routes=(ReturnCaseController, ReturnFormsController,
                           SurvivorReadController)),),
    provides=_provides,
    staff_pages=STAFF_PAGES,
    routes=(ReturnPartnerController, return_statistics),
    tables=(ReturnPartner, ReturnConsent, ReturnService, MonitoringReport),
    organisation_kinds=("referrer", "partner"),
    sealed=SEALED,
    seed_demo=seed_demo,
)

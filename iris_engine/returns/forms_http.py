"""HTTP for the return forms' schemas: what a partner fills in for the risk assessment and
each monitoring report, served to everyone who takes part in a return (``returns.forms``)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency

from iris_engine.cases import Principal
from iris_engine.returns.forms import ReturnForms
from iris_engine.web.problems import problem_responses

__all__ = ["ReturnFormsController"]


class ReturnFormsController(Controller):
    path = "/"  # mounted under the return cases' path (CaseApi.routes)
    tags = ("returns",)
    security = ({"BearerToken": []},)

    @get("/risk-assessment-schema", operation_id="getReturnRiskAssessmentSchema",
         media_type="application/schema+json", responses=problem_responses(401, 403))
    async def risk_assessment(self, principal: NamedDependency[Principal],
                              return_forms: NamedDependency[ReturnForms]) -> dict[str, Any]:
        """The JSON Schema (Draft 2020-12) of the risk assessment form (``assessment`` of
        ``record_risk_assessment``), for return officers, supervisors, referrers and partners."""
        return return_forms.schema(principal.roles, "risk_assessment")

    @get("/monitoring-report-schema", operation_id="getReturnMonitoringReportSchema",
         media_type="application/schema+json", responses=problem_responses(401, 403))
    async def monitoring_report(self, principal: NamedDependency[Principal],
                                return_forms: NamedDependency[ReturnForms]) -> dict[str, Any]:
        """The JSON Schema (Draft 2020-12) of the monitoring report form (``report`` of
        ``file_monitoring_report``), for return officers, supervisors, referrers and partners."""
        return return_forms.schema(principal.roles, "monitoring_report")

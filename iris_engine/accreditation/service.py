"""Accreditation applications: open, read, list, and move through the workflow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.accreditation import resemblance
from iris_engine.accreditation.models import (
    Accreditation,
    AccreditationScope,
    NameResemblance,
    NonConformity,
)
from iris_engine.accreditation.references import lock_organisation, refuse_second_application
from iris_engine.accreditation.schemas import (
    ApplicationView,
    CorridorView,
    NameResemblanceView,
    NonConformityView,
    ScopeView,
)
from iris_engine.cases import CaseEngine, Principal, views
from iris_engine.cases.service import CaseService
from iris_engine.documents import CodeLibrary
from iris_engine.errors import Forbidden
from iris_engine.store.db import Database, rows_in
from iris_engine.store.models import Case, Organisation

__all__ = ["WORKFLOW", "AccreditationService"]

WORKFLOW = "accreditation"


#: a case's non-conformities, as an application shows them (built once; columns rather than
#: the ORM's rows, so that in a write transaction it runs on the driver: ``rows_in``)
_NON_CONFORMITIES = (select(*(NonConformity.__table__.c))  # type: ignore[attr-defined]
                     .where(col(NonConformity.case_id) == bindparam("case_id"))
                     .order_by(col(NonConformity.id)))


class AccreditationService(CaseService):
    workflow = WORKFLOW
    detail_model = Accreditation
    no_access = "your role does not give access to applications"
    search_columns = ("lrn",)

    def __init__(self, db: Database, engine: CaseEngine, codes: CodeLibrary) -> None:
        super().__init__(db, engine)
        self.codes = codes

    async def create(self, principal: Principal, *, self_assessment: dict[str, Any] | None,
                     code_of_conduct: str) -> ApplicationView:
        if "recruiter" not in principal.roles:
            raise Forbidden("only a recruiter opens an application, for its own organisation")
        self.codes.get(code_of_conduct)  # 404 for an unknown code, before anything is written
        async with self.db.write() as session:
            # one live application per organisation: the organisation's row is held until
            # commit, so of two opens at once the second sees the first's case and is refused
            await lock_organisation(session, principal.organisation_id)
            await refuse_second_application(session, self.engine.catalog, WORKFLOW,
                                            principal.organisation_id, self.engine.clock().date())
            data: dict[str, Any] = {"code_of_conduct": code_of_conduct}
            if self_assessment is not None:
                data["self_assessment"] = self_assessment
            opened = await self.engine.open(
                session, WORKFLOW, organisation_id=principal.organisation_id, principal=principal,
                role="recruiter", data=data,
                detail=lambda case: Accreditation(case_id=case.id or 0, code_of_conduct=code_of_conduct,
                                                  self_assessment=self_assessment))
            return await self.view(session, opened.case, opened.detail, full=True)

    async def view(self, session: AsyncSession, case: Case, detail: Accreditation | None, *,
                   full: bool) -> ApplicationView:
        if detail is None:
            detail = await session.get(Accreditation, case.id)
            assert detail is not None
        org = await session.get(Organisation, case.organisation_id)
        scope = await session.get(AccreditationScope, case.id)
        ncs = await rows_in(session, _NON_CONFORMITIES, {"case_id": case.id})
        return _application_view(
            case, detail, org, scope, ncs,
            self_assessment=detail.self_assessment if full else None,
            deadlines=await views.deadlines(self.engine, session, case) if full else None,
            name_resemblances=[_resemblance_view(r) for r in
                               await resemblance.for_application(session, case)] if full else None)

    async def view_rows(self, session: AsyncSession, rows: Sequence[tuple[Case, Any]]
                    ) -> list[ApplicationView]:
        """A list's applications in four statements whatever their number (the details come
        with ``rows``): their organisations, scopes and non-conformities read together."""
        ids = [case.id for case, _ in rows]
        if not ids:
            return []
        org_ids = {case.organisation_id for case, _ in rows}
        orgs = {o.id: o for o in (await session.scalars(select(Organisation).where(
            col(Organisation.id).in_(org_ids)))).all()}
        scopes = {s.case_id: s for s in (await session.scalars(select(AccreditationScope).where(
            col(AccreditationScope.case_id).in_(ids)))).all()}
        ncs: dict[int, list[NonConformity]] = {}
        for n in (await session.scalars(select(NonConformity).where(
                col(NonConformity.case_id).in_(ids)).order_by(col(NonConformity.id)))).all():
            ncs.setdefault(n.case_id, []).append(n)
        return [_application_view(case, detail, orgs.get(case.organisation_id),
                                  scopes.get(case.id or 0), ncs.get(case.id or 0, []))
                for case, detail in rows]


def _application_view(case: Case, detail: Accreditation, org: Organisation | None,
                      scope: AccreditationScope | None,
                      ncs: Sequence[NonConformity] | Sequence[Any],
                      **full: Any) -> ApplicationView:
    """An application as the API shows it; ``full``: what one read alone adds."""
    return ApplicationView(
        id=case.id or 0, state=case.state, revision=case.revision, workflow=case.workflow,
        workflow_version=case.workflow_version, organisation_id=case.organisation_id or 0,
        organisation_name=org.name if org else "", assignee_id=case.assignee_id,
        code_of_conduct=detail.code_of_conduct, lrn=detail.lrn,
        accredited_on=detail.accredited_on, valid_until=detail.valid_until,
        submitted_at=detail.submitted_at, created_at=case.created_at,
        updated_at=case.updated_at,
        non_conformities=[NonConformityView(
            id=n.id or 0, severity=n.severity, principle=n.principle, criterion=n.criterion,
            description=n.description, status=n.status, corrective_action=n.corrective_action,
            evidence_ref=n.evidence_ref, raised_at=n.raised_at, closed_at=n.closed_at,
        ) for n in ncs],
        scope=_scope_view(scope.corridors, scope.sectors) if scope else _scope_view([], []),
        scope_extension=_scope_view(scope.extension["corridors"], scope.extension["sectors"])
        if scope is not None and scope.extension is not None else None,
        **full,
    )


def _resemblance_view(r: NameResemblance) -> NameResemblanceView:
    return NameResemblanceView(kind=r.kind, detail=r.detail, name=r.name,
                               resembles_lrn=r.resembles_lrn, resembles_name=r.resembles_name,
                               found_on=r.found_on, found_at=r.found_at)


def _scope_view(corridors: list[dict[str, str]], sectors: list[str]) -> ScopeView:
    return ScopeView(corridors=[CorridorView(c["origin"], c["destination"]) for c in corridors],
                     sectors=list(sectors))

"""Referrals: opened by the grievance's ``refer`` event, read and answered by the authority.

A referral is a case of the authority's organisation, so an authority user reaches exactly the
referrals routed to it. It carries the minimum data (``ReferralPacket``); the complainant's
identity only when they consented, fetched separately and recorded at each read.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.cases import CaseEngine, Principal, views
from iris_engine.cases.schemas import TransitionRequest
from iris_engine.cases.service import CaseService
from iris_engine.disclosure.models import Authority, PersonalDataRead
from iris_engine.errors import Forbidden
from iris_engine.grievances.models import Grievance
from iris_engine.grievances.schemas import IdentityView
from iris_engine.grievances.service import read_identity, sealed_place
from iris_engine.referrals.models import Referral
from iris_engine.referrals.schemas import ReferralPacket, ReferralView
from iris_engine.store.db import Database
from iris_engine.store.models import Case, OutboxMessage
from iris_engine.vault import Vault

__all__ = ["WORKFLOW", "ReferralService"]

WORKFLOW = "referral"


class ReferralService(CaseService):
    workflow = WORKFLOW
    nobody = "your role does not give access to referrals"

    def __init__(self, db: Database, engine: CaseEngine, vault: Vault) -> None:
        super().__init__(db, engine)
        self.vault = vault

    async def list(self, principal: Principal, *, state: str | None, after: int,
                   limit: int) -> list[ReferralView]:
        async with self.db.read() as session:
            cases = await self.visible_cases(session, principal, state=state, after=after,
                                             limit=limit)
            return [await self._view(session, c, packet=False) for c in cases]

    async def get(self, principal: Principal, case_id: int) -> ReferralView:
        """The referral with its packet. The authority's first read is the delivery receipt of
        an inbox referral; its reads of the narrative are recorded like identity reads."""
        async with self.db.write() as session:
            case = await self.engine.get_visible(session, case_id, principal, WORKFLOW)
            referral = await session.get(Referral, case_id)
            assert referral is not None
            if "authority" in principal.roles and case.organisation_id == principal.organisation_id:
                now = self.engine.clock()
                if referral.received_at is None:
                    referral.received_at = now
                session.add(PersonalDataRead(
                    grievance_case_id=referral.grievance_case_id,
                    reader_user_id=principal.user_id or None, reader_role="authority",
                    purpose=f"referral {case_id}", basis="referral", fields=["narrative"], at=now))
            return await self._view(session, case, packet=True)

    async def identity(self, principal: Principal, case_id: int) -> IdentityView:
        """The complainant's identity, to the authority of a referral they consented to."""
        async with self.db.write() as session:
            case = await self.engine.get_visible(session, case_id, principal, WORKFLOW)
            if "authority" not in principal.roles or case.organisation_id != principal.organisation_id:
                raise Forbidden("only the authority the referral was made to may read the "
                                "complainant's identity, and only with their consent")
            referral = await session.get(Referral, case_id)
            grievance = await session.get(Grievance, referral.grievance_case_id if referral else 0)
            assert referral is not None and grievance is not None
            if not (referral.identity_disclosed and grievance.consent_refer):
                raise Forbidden("the complainant did not consent to their identity going to an "
                                "authority; the referral is anonymous")
            return await read_identity(session, self.vault, grievance, principal, role="authority",
                                       basis="consent_refer", purpose=f"referral {case_id}",
                                       now=self.engine.clock())

    async def fire(self, principal: Principal, case_id: int,
                   request: TransitionRequest) -> ReferralView:
        async with self.db.write() as session:
            outcome = await self._fire(session, principal, case_id, request)
            return await self._view(session, outcome.case, packet=False)

    async def _view(self, session: AsyncSession, case: Case, *, packet: bool) -> ReferralView:
        referral = await session.get(Referral, case.id)
        assert referral is not None
        authority = await session.get(Authority, referral.authority_id)
        delivered_at = None
        if referral.delivery_message_id is not None:
            message = await session.get(OutboxMessage, referral.delivery_message_id)
            delivered_at = message.delivered_at if message else None
        return ReferralView(
            id=case.id or 0, state=case.state, revision=case.revision,
            authority_id=referral.authority_id, authority_name=authority.name if authority else "",
            remit=referral.remit, identity_disclosed=referral.identity_disclosed,
            disclosed_fields=referral.disclosed_fields, created_at=referral.created_at,
            delivered_at=delivered_at or referral.received_at, received_at=referral.received_at,
            acknowledged_at=referral.acknowledged_at,
            external_reference=referral.external_reference, outcome=referral.outcome,
            packet=await self._packet(session, referral) if packet else None,
            deadlines=await views.deadlines(self.engine, session, case) if packet else None,
        )

    async def _packet(self, session: AsyncSession, referral: Referral) -> ReferralPacket:
        g = await session.get(Grievance, referral.grievance_case_id)
        assert g is not None
        narrative = (self.vault.open(g.narrative_sealed, place=sealed_place(g.case_id, "narrative"))
                     if g.narrative_sealed else None)
        return ReferralPacket(
            complainant_role=g.complainant_role, language=g.language,
            origin_country=g.origin_country, destination_country=g.destination_country,
            recruiter_lrn=g.recruiter_lrn, recruiter_name=g.recruiter_name,
            allegations=g.allegations, principles=g.principles, severity=g.severity,
            in_danger=g.in_danger, fees_amount=g.fees_amount, fees_currency=g.fees_currency,
            documents_retained=g.documents_retained, narrative=narrative)

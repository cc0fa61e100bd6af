"""Referrals: opened by a source case's transition (a grievance's ``refer``), read and answered
by the authority.

A referral is a case of the authority's organisation, so an authority user reaches exactly the
referrals routed to it. It carries the minimum data (the packet its source workflow builds);
the person's identity only when they consented, fetched separately and recorded at each read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import CaseEngine, Principal, views
from iris_engine.cases.service import CaseService
from iris_engine.disclosure.models import Authority
from iris_engine.disclosure.reads import record_read
from iris_engine.disclosure.referring import ReferralSource
from iris_engine.disclosure.schemas import IdentityView
from iris_engine.errors import Forbidden
from iris_engine.referrals.desk import WORKFLOW, source_for
from iris_engine.referrals.models import Referral
from iris_engine.referrals.schemas import ReferralView
from iris_engine.store.db import Database
from iris_engine.store.models import Case, OutboxMessage
from iris_engine.workflow import Resources

__all__ = ["WORKFLOW", "ReferralService"]


class ReferralService(CaseService):
    workflow = WORKFLOW
    detail_model = Referral
    no_access = "your role does not give access to referrals"
    search_columns = ("external_reference",)

    def __init__(self, db: Database, engine: CaseEngine, resources: Resources) -> None:
        super().__init__(db, engine)
        self.resources = resources

    async def _source(self, session: AsyncSession, referral: Referral) -> ReferralSource:
        source_case = await session.get(Case, referral.source_case_id)
        assert source_case is not None
        return source_for(self.resources, source_case.workflow)

    @staticmethod
    def _is_recipient(principal: Principal, case: Case) -> bool:
        return "authority" in principal.roles and case.organisation_id == principal.organisation_id

    async def get(self, principal: Principal, case_id: int) -> ReferralView:
        """The referral with its packet. The authority's first read is the delivery receipt of
        an inbox referral; every read of the packet (the authority's, or staff's on the
        basis of their access) is recorded like identity reads."""
        async with self.db.write() as session:
            case, roles = await self.engine.reach(session, case_id, principal, WORKFLOW)
            referral = await session.get(Referral, case_id)
            assert referral is not None
            now = self.engine.clock()
            role, basis = roles[0], self.engine.access.scope_name(roles[0], WORKFLOW)
            if self._is_recipient(principal, case):
                role, basis = "authority", "referral"
                if referral.received_at is None:
                    referral.received_at = now
            record_read(session, case_id=referral.source_case_id, principal=principal,
                        role=role, purpose=f"referral {case_id}", basis=basis,
                        fields=["narrative"], now=now)
            return await self.view(session, case, referral, full=True)

    async def identity(self, principal: Principal, case_id: int) -> IdentityView:
        """The person's identity, to the authority of a referral they consented to."""
        async with self.db.write() as session:
            case = await self.engine.get_visible(session, case_id, principal, WORKFLOW)
            if not self._is_recipient(principal, case):
                raise Forbidden("only the authority the referral was made to may read the "
                                "person's identity, and only with their consent")
            referral = await session.get(Referral, case_id)
            assert referral is not None
            source = await self._source(session, referral)
            if not (referral.identity_disclosed
                    and await source.identity_consented(session, referral.source_case_id)):
                raise Forbidden("the complainant did not consent to their identity going to an "
                                "authority; the referral is anonymous")
            return await source.identity(session, referral.source_case_id, principal,
                                         role="authority", basis="consent_refer",
                                         purpose=f"referral {case_id}", now=self.engine.clock())

    async def view(self, session: AsyncSession, case: Case, referral: Referral | None, *,
                   full: bool) -> ReferralView:
        """The referral; read alone (``full``), with its packet and deadlines."""
        if referral is None:
            referral = await session.get(Referral, case.id)
            assert referral is not None
        authority = await session.get(Authority, referral.authority_id)
        delivered_at = None
        if referral.delivery_message_id is not None:
            message = await session.get(OutboxMessage, referral.delivery_message_id)
            delivered_at = message.delivered_at if message else None
        packet: Any = None
        if full:
            packet = await (await self._source(session, referral)).packet(
                session, referral.source_case_id)
        return _referral_view(
            case, referral, authority, delivered_at, packet=packet,
            deadlines=await views.deadlines(self.engine, session, case) if full else None)

    async def view_rows(self, session: AsyncSession, rows: Sequence[tuple[Case, Any]]
                        ) -> list[ReferralView]:
        """A list's referrals with their authorities and deliveries read for all at once."""
        authority_ids = {r.authority_id for _, r in rows}
        message_ids = {r.delivery_message_id for _, r in rows if r.delivery_message_id}
        authorities = {a.id: a for a in (await session.scalars(select(Authority).where(
            col(Authority.id).in_(authority_ids)))).all()} if authority_ids else {}
        delivered = dict((await session.execute(
            select(col(OutboxMessage.id), col(OutboxMessage.delivered_at)).where(
                col(OutboxMessage.id).in_(message_ids)))).tuples().all()) if message_ids else {}
        return [_referral_view(case, referral, authorities.get(referral.authority_id),
                               delivered.get(referral.delivery_message_id or 0))
                for case, referral in rows]


def _referral_view(case: Case, referral: Referral, authority: Authority | None,
                   delivered_at: datetime | None, *, packet: Any = None,
                   deadlines: Any = None) -> ReferralView:
    return ReferralView(
        id=case.id or 0, state=case.state, revision=case.revision,
        authority_id=referral.authority_id, authority_name=authority.name if authority else "",
        remit=referral.remit, identity_disclosed=referral.identity_disclosed,
        disclosed_fields=referral.disclosed_fields, created_at=referral.created_at,
        delivered_at=delivered_at or referral.received_at, received_at=referral.received_at,
        acknowledged_at=referral.acknowledged_at,
        external_reference=referral.external_reference, outcome=referral.outcome,
        packet=packet, deadlines=deadlines,
    )

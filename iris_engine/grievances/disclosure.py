"""What a grievance discloses when it is referred, and how its complainant's identity opens:
the grievance's side of ``iris_engine.disclosure.referring``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.cases import Principal
from iris_engine.disclosure.reads import record_read
from iris_engine.disclosure.referring import ReferralSource
from iris_engine.disclosure.schemas import Consents, IdentityView, ReferralPacket
from iris_engine.errors import NotFound
from iris_engine.grievances.models import Grievance
from iris_engine.grievances.sealing import sealed_place
from iris_engine.vault import Vault

__all__ = ["GrievanceDisclosures", "consents_of", "read_identity"]

IDENTITY_FIELDS = ("name", "email", "phone", "other")


def consents_of(grievance: Grievance) -> Consents:
    return Consents(share_identity_with_recruiter=grievance.consent_share_identity,
                    refer_to_authority=grievance.consent_refer,
                    be_contacted=grievance.consent_contact)


async def read_identity(session: AsyncSession, vault: Vault, grievance: Grievance,
                        principal: Principal, *, role: str, basis: str, purpose: str,
                        now: datetime) -> IdentityView:
    """Record the read, then open the sealed identity (the caller has checked entitlement)."""
    if grievance.identity_sealed is None:
        raise NotFound("no identity is on file: the complainant stayed anonymous, or it was "
                       "erased at the end of the retention period")
    record_read(session, case_id=grievance.case_id, principal=principal, role=role,
                purpose=purpose, basis=basis, fields=IDENTITY_FIELDS, now=now)
    value = vault.open(grievance.identity_sealed, place=sealed_place(grievance.case_id, "identity"))
    return IdentityView(name=value.get("name"), email=value.get("email"), phone=value.get("phone"),
                        other=value.get("other"), preferred_channel=value.get("preferred_channel"),
                        consents=consents_of(grievance), basis=basis)


class GrievanceDisclosures(ReferralSource):
    workflow = "grievance"
    packet_fields = ("complainant_role", "language", "corridor", "recruiter", "allegations",
                     "principles", "severity", "in_danger", "fees", "documents_retained",
                     "narrative")

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    @staticmethod
    async def _grievance(session: AsyncSession, case_id: int) -> Grievance:
        grievance = await session.get(Grievance, case_id)
        assert grievance is not None, f"case {case_id} is no grievance"
        return grievance

    async def packet(self, session: AsyncSession, case_id: int) -> ReferralPacket:
        g = await self._grievance(session, case_id)
        narrative = (self.vault.open(g.narrative_sealed, place=sealed_place(g.case_id, "narrative"))
                     if g.narrative_sealed else None)
        return ReferralPacket(
            complainant_role=g.complainant_role, language=g.language,
            origin_country=g.origin_country, destination_country=g.destination_country,
            recruiter_lrn=g.recruiter_lrn, recruiter_name=g.recruiter_name,
            allegations=g.allegations, principles=g.principles, severity=g.severity,
            in_danger=g.in_danger, fees_amount=g.fees_amount, fees_currency=g.fees_currency,
            documents_retained=g.documents_retained, narrative=narrative)

    async def notice(self, session: AsyncSession, case_id: int) -> dict[str, Any]:
        g = await self._grievance(session, case_id)
        return {"severity": g.severity, "allegations": g.allegations,
                "corridor": {"origin": g.origin_country, "destination": g.destination_country}}

    async def identity_consented(self, session: AsyncSession, case_id: int) -> bool:
        return (await self._grievance(session, case_id)).consent_refer

    async def identity(self, session: AsyncSession, case_id: int, principal: Principal, *,
                       role: str, basis: str, purpose: str, now: datetime) -> IdentityView:
        return await read_identity(session, self.vault, await self._grievance(session, case_id),
                                   principal, role=role, basis=basis, purpose=purpose, now=now)

"""Referral in: a referring partner (role ``referrer``) or a return officer opens an enquiry
with the minimum data; the survivor's identity and account are sealed before they are
written, and a nationality not eligible today is refused with the reason, storing nothing."""

from __future__ import annotations

import msgspec

from iris_engine.cases import CaseEngine, Principal
from iris_engine.errors import FieldError, Forbidden, InvalidInput
from iris_engine.returns.eligibility import ineligibility
from iris_engine.returns.models import ReturnCase
from iris_engine.returns.schemas import ReturnReferral, ReturnView
from iris_engine.returns.sealing import sealed_place
from iris_engine.returns.service import WORKFLOW, return_view
from iris_engine.store.counters import next_counter
from iris_engine.store.db import Database
from iris_engine.vault import Vault

__all__ = ["REFERRING_ROLES", "ReturnIntake", "reference_of"]

#: who may open an enquiry, in the order a caller's role is chosen
REFERRING_ROLES = ("referrer", "return_officer")


def reference_of(number: int) -> str:
    return f"RR-{number:06d}"


class ReturnIntake:
    def __init__(self, db: Database, engine: CaseEngine, vault: Vault) -> None:
        self.db = db
        self.engine = engine
        self.vault = vault

    def check_eligible(self, nationality: str, return_country: str) -> None:
        """Refuse, naming the eligible countries, a referral returns are not arranged for."""
        settings = self.engine.catalog.machine(WORKFLOW).spec.settings
        errors = [FieldError(pointer, problem) for pointer, problem in (
            ("/nationality", ineligibility(nationality, settings)),
            ("/return_country", ineligibility(return_country, settings, what="returns to")))
            if problem is not None]
        if errors:
            raise InvalidInput("not eligible for return assistance today", errors=errors)

    async def refer(self, principal: Principal, referral: ReturnReferral) -> ReturnView:
        """Open an enquiry; a referrer's organisation follows it (and only its own)."""
        role = next((r for r in REFERRING_ROLES if r in principal.roles), None)
        if role is None:
            raise Forbidden("referring partners (role referrer) and return officers open return "
                            "enquiries")
        return_country = referral.return_country or referral.nationality
        self.check_eligible(referral.nationality, return_country)
        identity = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                    for k, v in msgspec.structs.asdict(referral.survivor).items() if v is not None}
        now = self.engine.clock()
        organisation_id = principal.organisation_id if role == "referrer" else None
        async with self.db.write() as session:
            reference = reference_of(await next_counter(session, "return_reference", start=0))

            def detail(case: object) -> ReturnCase:
                case_id = getattr(case, "id", 0) or 0
                return ReturnCase(
                    case_id=case_id, reference=reference,
                    referrer_organisation_id=organisation_id,
                    nationality=referral.nationality, return_country=return_country,
                    age_group=referral.age_group, language=referral.language,
                    in_danger=referral.in_danger,
                    identity_sealed=self.vault.seal(identity,
                                                    place=sealed_place(case_id, "identity")),
                    narrative_sealed=(self.vault.seal(referral.account,
                                                      place=sealed_place(case_id, "narrative"))
                                      if referral.account else None),
                    nrm_status=referral.nrm_status,
                    nrm_status_at=now if referral.nrm_status != "none" else None,
                    enquiry_at=now)

            opened = await self.engine.open(
                session, WORKFLOW, organisation_id=organisation_id, principal=principal, role=role,
                data={"reference": reference, "nationality": referral.nationality,
                      "return_country": return_country, "age_group": referral.age_group,
                      "in_danger": referral.in_danger, "nrm_status": referral.nrm_status},
                detail=detail)
            await session.flush()
            return return_view(opened.case, opened.detail)

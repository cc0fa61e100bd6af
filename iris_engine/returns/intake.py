"""Referral in: a referring partner (role ``referrer``) or a return officer opens an enquiry
with the minimum data; the survivor's identity and account are sealed before they are
written, and a nationality not eligible today is refused with the reason, storing nothing.

``open_enquiry`` is the one way an enquiry opens, from this form or from another case (a
grievance, through ``returns.referral_in``): same reference series, same sealing, same opening
event (the classification only, never what identifies the survivor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import msgspec

from iris_engine.cases import CaseEngine, Principal
from iris_engine.errors import FieldError, Forbidden, InvalidInput
from iris_engine.names.rules import checked_name
from iris_engine.returns.eligibility import eligibility_errors
from iris_engine.returns.models import ReturnCase
from iris_engine.returns.schemas import ReturnReferral, ReturnView, Survivor
from iris_engine.returns.sealing import sealed_place
from iris_engine.returns.service import WORKFLOW, return_view
from iris_engine.store.counters import next_counter
from iris_engine.store.db import Database
from iris_engine.vault import Vault

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases.engine import TransitionOutcome
    from iris_engine.store.models import Case

__all__ = ["OLDEST_AGE", "REFERRING_ROLES", "NewEnquiry", "ReturnIntake", "open_enquiry",
           "reference_of"]

#: who may open an enquiry, in the order a caller's role is chosen
REFERRING_ROLES = ("referrer", "return_officer")
#: a date of birth further back than this many years is a typing error, not a survivor
OLDEST_AGE = 120


def reference_of(number: int) -> str:
    return f"RR-{number:06d}"


@dataclass(frozen=True, slots=True)
class NewEnquiry:
    """What opens a return enquiry, whoever refers."""

    nationality: str
    return_country: str
    language: str
    age_group: str
    in_danger: bool
    #: {name, date_of_birth, phone, email, other} as given; sealed before it is written
    identity: dict[str, Any] | None
    #: the account of what happened, as the referrer heard it; sealed
    narrative: str | None
    nrm_status: str = "none"
    #: the organisation that referred (a referrer's own; None for staff and other cases)
    referrer_organisation_id: int | None = None
    #: the case it was referred from, and that case's workflow
    source_case_id: int | None = None
    source_workflow: str | None = None
    #: for the opening event: the consent to the referral given in the source case, in clear
    #: (its version, language, interpreter; whether witnessed, never by whom)
    consent: dict[str, Any] | None = None


async def open_enquiry(session: AsyncSession, engine: CaseEngine, vault: Vault,
                       enquiry: NewEnquiry, *, principal: Principal,
                       role: str) -> TransitionOutcome:
    """Open the return case in the caller's transaction (eligibility checked by the caller)."""
    reference = reference_of(await next_counter(session, "return_reference", start=0))
    now = engine.clock()

    def detail(case: Case) -> ReturnCase:
        case_id = case.id or 0
        return ReturnCase(
            case_id=case_id, reference=reference,
            referrer_organisation_id=enquiry.referrer_organisation_id,
            source_case_id=enquiry.source_case_id,
            nationality=enquiry.nationality, return_country=enquiry.return_country,
            age_group=enquiry.age_group, language=enquiry.language, in_danger=enquiry.in_danger,
            identity_sealed=(vault.seal(enquiry.identity, place=sealed_place(case_id, "identity"))
                             if enquiry.identity else None),
            narrative_sealed=(vault.seal(enquiry.narrative,
                                         place=sealed_place(case_id, "narrative"))
                              if enquiry.narrative else None),
            nrm_status=enquiry.nrm_status,
            nrm_status_at=now if enquiry.nrm_status != "none" else None,
            enquiry_at=now)

    data: dict[str, Any] = {
        "reference": reference, "nationality": enquiry.nationality,
        "return_country": enquiry.return_country, "age_group": enquiry.age_group,
        "in_danger": enquiry.in_danger, "nrm_status": enquiry.nrm_status}
    if enquiry.source_case_id is not None:
        data["source_case_id"] = enquiry.source_case_id
        data["source_workflow"] = enquiry.source_workflow
    if enquiry.consent is not None:
        data["referral_consent"] = enquiry.consent
    return await engine.open(session, WORKFLOW, organisation_id=enquiry.referrer_organisation_id,
                             principal=principal, role=role, data=data, detail=detail)


def _identity(survivor: Survivor, today: date) -> dict[str, Any]:
    """The survivor as stored: the name as names are kept (NFC, no control or invisible
    characters), a date of birth that can be one; ``InvalidInput`` naming each bad field."""
    errors: list[FieldError] = []
    name = checked_name(survivor.name, "/survivor/name", errors)
    born = survivor.date_of_birth
    if born is not None and born > today:
        errors.append(FieldError("/survivor/date_of_birth", "a date of birth is not in the future"))
    elif born is not None and born.year < today.year - OLDEST_AGE:
        errors.append(FieldError("/survivor/date_of_birth",
                                 f"more than {OLDEST_AGE} years ago: check the year"))
    if errors:
        raise InvalidInput("the survivor's details cannot be accepted as written", errors=errors)
    values = msgspec.structs.asdict(survivor) | {"name": name}
    return {k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in values.items() if v is not None}


class ReturnIntake:
    def __init__(self, db: Database, engine: CaseEngine, vault: Vault) -> None:
        self.db = db
        self.engine = engine
        self.vault = vault

    def check_eligible(self, nationality: str, return_country: str) -> None:
        """Refuse, naming the eligible countries, a referral returns are not arranged for."""
        settings = self.engine.catalog.machine(WORKFLOW).spec.settings
        errors = eligibility_errors(settings, nationality, return_country)
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
        identity = _identity(referral.survivor, self.engine.clock().date())
        enquiry = NewEnquiry(
            nationality=referral.nationality, return_country=return_country,
            language=referral.language, age_group=referral.age_group,
            in_danger=referral.in_danger, identity=identity, narrative=referral.account,
            nrm_status=referral.nrm_status,
            referrer_organisation_id=principal.organisation_id if role == "referrer" else None)
        async with self.db.write() as session:
            opened = await open_enquiry(session, self.engine, self.vault, enquiry,
                                        principal=principal, role=role)
            await session.flush()
            # a referrer is answered what it may read of its referral, as it would be on a GET
            return return_view(opened.case, opened.detail,
                               "referrer" if role == "referrer" else "staff")

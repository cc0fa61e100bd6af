"""Demo grievances: a dozen at every stage, filed over the past weeks, so a newcomer sees
deadlines, an escalation, referrals and a review."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import Principal
from iris_engine.clock import ManualClock
from iris_engine.disclosure.models import Authority
from iris_engine.domain import DemoLogin, DemoSeed
from iris_engine.grievances.models import Grievance
from iris_engine.grievances.schemas import CRIMINAL_ALLEGATIONS, GrievanceFiling
from iris_engine.grievances.service import GrievanceService
from iris_engine.roster.models import RosterEntry
from iris_engine.store.models import Case
from iris_engine.workflow import TransitionInput

__all__ = ["seed_demo"]

_STORIES = [
    ("NP", "QA", ["recruitment_fees"], ["1"], "I paid a fee of 1,200 dollars for a visa and ticket."),
    ("PH", "SA", ["document_retention"], ["2"], "My employer keeps my passport since I arrived."),
    ("NP", "QA", ["contract_substitution", "wage_theft"], ["3"],
     "The contract I signed at home promised twice the salary I am paid."),
    ("KE", "AE", ["forced_labour", "threats_or_violence"], ["B", "2"],
     "We are locked in the accommodation and cannot leave without the supervisor."),
    ("BD", "MY", ["recruitment_fees", "deception"], ["1", "3"],
     "The agent took money for a job that did not exist."),
    ("PH", "SA", ["other"], [], "The agency never answered my questions about insurance."),
]

# (stage each demo grievance is walked to, its story)
_STAGES = [("received", 0), ("received", 3), ("acknowledged", 1), ("triaged", 2),
           ("under_investigation", 4), ("referred", 3), ("referred", 1), ("findings", 0),
           ("remedy", 0), ("closed", 5), ("signposted", 5), ("withdrawn", 2)]


async def seed_demo(seed: DemoSeed) -> list[DemoLogin]:
    """A dozen grievances at every stage, handled by the demo caseworker and supervisor and
    referred to the demo authorities (seeded before, by the referrals domain)."""
    services, rng, real_now = seed.services, seed.rng, seed.now
    caseworker = seed.staff_with("caseworker")[0]
    supervisor = seed.staff_with("supervisor")[0]
    async with services.db.read() as session:
        authority_ids = [authority_id or 0 for authority_id in (await session.scalars(
            select(col(Authority.id)).order_by(col(Authority.id)))).all()]
        # a recruiter on the roster (the public read model: no other domain's tables)
        lrn = (await session.scalars(select(col(RosterEntry.lrn)).where(
            col(RosterEntry.status) == "accredited").order_by(col(RosterEntry.case_id)).limit(1))).first()
    for n, (stage, story) in enumerate(_STAGES):
        origin, destination, allegations, principles, narrative = _STORIES[story]
        clock = ManualClock(real_now - timedelta(days=rng.randint(3, 30), hours=rng.randint(0, 23)))
        engine = services.engine.with_clock(clock)
        service = GrievanceService(services.db, engine, services.vault, services.failures,
                                   services.settings, services.engine.resources)
        named = {"lrn": lrn} if stage in ("findings", "remedy") and lrn else {
            "name": f"{rng.choice(['Sunrise', 'Bridge', 'Compass'])} Manpower (demo)"}
        filing = msgspec.convert({
            "complainant_role": rng.choice(["worker", "job_seeker", "family_member"]),
            "language": {"NP": "ne", "PH": "tl", "KE": "sw", "BD": "bn"}[origin],
            "corridor": {"origin": origin, "destination": destination}, "recruiter": named,
            "allegations": allegations, "principles": principles, "narrative": narrative,
            "documents_retained": "document_retention" in allegations,
            "contact": {"name": f"Demo Complainant {n + 1}",
                        "email": f"complainant{n + 1}@mail.demo.iris.example"} if n % 3 else None,
            "consents": {"refer_to_authority": n % 2 == 0, "be_contacted": n % 3 != 0},
        }, GrievanceFiling)
        filed = await service.file(filing)
        async with services.db.write() as session:
            case_id = (await session.scalars(select(col(Grievance.case_id)).where(
                col(Grievance.reference) == filed.reference))).one()
            await _walk(engine, session, clock, case_id, stage, caseworker, supervisor,
                        authority_ids, allegations, rng)
    return []


async def _walk(engine: Any, session: Any, clock: ManualClock, case_id: int, stage: str,
                caseworker: Principal, supervisor: Principal, authority_ids: list[int],
                allegations: list[str], rng: random.Random) -> None:
    async def fire(who: Principal, event: str, **kw: Any) -> None:
        clock.advance(hours=rng.randint(2, 30))
        case = await session.get(Case, case_id, populate_existing=True)
        await engine.fire(session, "grievance", case_id, who, TransitionInput(event, case.revision, **kw))

    if stage == "received":
        return
    if stage == "withdrawn":
        complainant = Principal(0, 0, frozenset({"complainant"}), case_id=case_id)
        await fire(complainant, "withdraw")
        return
    await fire(caseworker, "acknowledge")
    if stage == "acknowledged":
        return
    criminal = bool(CRIMINAL_ALLEGATIONS & set(allegations))
    await fire(caseworker, "triage", data={"severity": "high" if criminal else "medium"})
    if stage == "triaged":
        return
    if stage in ("signposted", "closed"):
        await fire(caseworker, "signpost", reason_code="other_mechanism",
                   note="Insurance questions go to the insurer's ombudsman (demo).",
                   data={"signpost_to": "The insurance ombudsman of the destination country"})
        if stage == "closed":
            await fire(caseworker, "close", reason_code="other_mechanism")
        return
    await fire(caseworker, "start_investigation")
    if stage == "under_investigation":
        return
    if stage == "referred":
        authority = authority_ids[2] if criminal else authority_ids[1]
        await fire(caseworker, "refer", data={"authority_id": authority})
        return
    await fire(caseworker, "record_findings", note="Worker interviews and receipts confirm the "
               "fee was charged (demo).", data={"substantiated": True, "principles": ["1"]})
    if stage == "remedy":
        await fire(supervisor, "agree_remedy", data={"remedies": [
            {"kind": "reimbursement", "amount": "1200.00", "currency": "USD"}]})

"""Demo recruiters: a few hundred organisations walked through the real workflow, each in its
own past, so the roster is populated and every audit trail is valid."""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import col

from iris_engine.accreditation.models import Accreditation, NonConformity
from iris_engine.accreditation.service import WORKFLOW
from iris_engine.cases import Principal
from iris_engine.clock import ManualClock
from iris_engine.domain import DemoLogin, DemoSeed
from iris_engine.store.models import Organisation, User
from iris_engine.workflow import TransitionInput

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["DEMO_RECRUITER_PASSWORD", "seed_demo"]

DEMO_RECRUITER_PASSWORD = "demo-recruiter-2026"
#: how many recruiters the demo makes (``iris demo seed --recruiters`` overrides it)
DEFAULT_RECRUITERS = 300

_CORRIDORS = [("NP", ["NP", "QA", "AE"]), ("PH", ["PH", "SA", "SG", "HK"]),
              ("KE", ["KE", "SA", "AE"]), ("BD", ["BD", "MY", "SA"]), ("VN", ["VN", "JP", "TW"]),
              ("MX", ["MX", "US", "CA"]), ("GT", ["GT", "US"]), ("LK", ["LK", "KW", "QA"]),
              ("ET", ["ET", "SA", "LB"]), ("ID", ["ID", "MY", "HK"])]
_WORDS = ["Global", "Horizon", "Sunrise", "Bridge", "Fair", "Summit", "Harbour", "Compass",
          "Lotus", "Everest", "Meridian", "Unity", "Trust", "Pioneer", "Crescent", "Atlas"]
_KINDS = ["Manpower", "Recruitment", "Overseas Employment", "Staffing", "Placement", "HR Services"]

_SECTORS = ["construction", "domestic_work", "hospitality", "health_care", "agriculture",
            "manufacturing", "transport_logistics", "cleaning_security"]

#: the demo recruiter none of whose staff is trained: its application waits in draft
_UNTRAINED = "draft"
# final state -> share of demo recruiters
_PLAN = [("accredited", 62), ("suspended", 8), ("withdrawn", 7), ("expired", 6),
         ("submitted", 6), ("audit_planned", 4), ("corrective_action", 3), ("rejected", 4)]


def _self_assessment(services: Services, countries: list[str], today: datetime) -> dict[str, Any]:
    folder = services.codes.get("iris-standard/1.2").folder
    doc: dict[str, Any] = json.loads((folder / "examples" / "valid" / "minimal-complete.json").read_text())
    doc = copy.deepcopy(doc)
    a = doc["principles"]["A"]
    a["countries_of_operation"] = countries
    for lic in a["licences"]:
        lic["country"] = countries[0]
        lic["valid_from"] = (today - timedelta(days=4000)).date().isoformat()
        lic["valid_until"] = (today + timedelta(days=2000)).date().isoformat()
    return doc


async def seed_demo(seed: DemoSeed) -> list[DemoLogin]:
    """Recruiters at every stage, walked by the demo scheme manager and auditors. Each is first
    prepared by the other domains' demos (training certifies one of its staff, which ``submit``
    requires), except the last, which stays in ``draft`` to show that refusal."""
    services, rng, real_now = seed.services, seed.rng, seed.now
    recruiters = seed.sizes.get("recruiters", DEFAULT_RECRUITERS)
    manager = seed.staff_with("scheme_manager")[0]
    auditors = seed.staff_with("auditor")
    shared_hash = await services.people.hash_password(DEMO_RECRUITER_PASSWORD)
    states = [s for s, share in _PLAN for _ in range(share)]
    untrained = recruiters - 1 if recruiters > 1 else None
    user_ids: dict[int, int] = {}
    batch = 50
    for start in range(0, recruiters, batch):
        numbers = range(start, min(start + batch, recruiters))
        # made and committed first: the preparers work in transactions of their own
        async with services.db.write() as session:
            made = [(i, await _recruiter(session, i, shared_hash, rng, real_now),
                     _UNTRAINED if i == untrained else states[i % len(states)])
                    for i in numbers]
        user_ids.update((i, recruiter.user_id) for i, recruiter, _target in made)
        await seed.prepare_organisations([recruiter.organisation_id for _i, recruiter, target
                                          in made if target != _UNTRAINED])
        async with services.db.write() as session:
            for i, recruiter, target in made:
                # expired certificates were granted more than three years ago
                days_ago = rng.randint(1200, 1300) if target == "expired" else rng.randint(20, 900)
                clock = ManualClock(real_now - timedelta(days=days_ago))
                countries = _CORRIDORS[i % len(_CORRIDORS)][1]
                await _walk(services, session, clock, recruiter, manager, auditors[i % len(auditors)],
                            _self_assessment(services, countries, real_now), target, real_now, rng)
    logins = [DemoLogin("recruiter", "recruiter001@demo.iris.example", DEMO_RECRUITER_PASSWORD,
                        f"(001 to {recruiters:03d})", user_id=user_ids.get(0))]
    if untrained is not None:
        logins.append(DemoLogin(
            "recruiter", f"recruiter{untrained + 1:03d}@demo.iris.example",
            DEMO_RECRUITER_PASSWORD, "(none of its staff trained: its draft cannot be submitted)",
            user_id=user_ids[untrained]))
    return logins


async def _recruiter(session: Any, i: int, password_hash: str, rng: random.Random,
                     now: datetime) -> Principal:
    """The ``i``-th demo recruiter organisation and its one user."""
    home = _CORRIDORS[i % len(_CORRIDORS)][0]
    name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.choice(_KINDS)} {i + 1:03d}"
    org = Organisation(kind="recruiter", name=name, country=home, created_at=now)
    session.add(org)
    await session.flush()
    user = User(email=f"recruiter{i + 1:03d}@demo.iris.example",
                name=f"Recruiter {i + 1:03d} (demo)", password_hash=password_hash,
                organisation_id=org.id or 0, roles="recruiter", created_at=now)
    session.add(user)
    await session.flush()
    return Principal(user.id or 0, org.id or 0, frozenset({"recruiter"}), user.email)


async def _walk(services: Services, session: Any, clock: ManualClock, recruiter: Principal,
                manager: Principal, auditor: Principal, document: dict[str, Any], target: str,
                real_now: datetime, rng: random.Random) -> None:
    # the demo walks each case through its own past, with deadlines set and cancelled as
    # they would have been; those already due fire on the first tick of `iris serve`
    engine = services.engine.with_clock(clock)
    case = (await engine.open(session, WORKFLOW, organisation_id=recruiter.organisation_id,
                              principal=recruiter, role="recruiter",
                              data={"code_of_conduct": "iris-standard/1.2"},
                              detail=lambda case: Accreditation(
                                  case_id=case.id or 0, code_of_conduct="iris-standard/1.2"))).case
    await session.flush()

    async def fire(who: Principal, event: str, **kw: Any) -> None:
        clock.advance(days=rng.randint(1, 9), minutes=rng.randint(0, 600))
        await engine.fire(session, WORKFLOW, case.id or 0, who,
                          TransitionInput(event, case.revision, **kw))

    await fire(recruiter, "update_self_assessment", data={"self_assessment": document})
    home, *abroad = document["principles"]["A"]["countries_of_operation"]
    await fire(recruiter, "update_scope", data={
        "corridors": [{"origin": home, "destination": country} for country in abroad],
        "sectors": rng.sample(_SECTORS, rng.randint(1, 3))})
    if target == _UNTRAINED:
        return
    await fire(recruiter, "submit")
    if target == "submitted":
        return
    await fire(manager, "accept_application")
    await fire(manager, "plan_audit", data={"auditor_id": auditor.user_id,
                                            "planned_on": clock().date().isoformat()})
    if target == "audit_planned":
        return
    findings = [{"severity": "minor", "principle": "1", "criterion": "1.2",
                 "description": "Cost ledger does not itemise medical examination costs"}]
    await fire(auditor, "complete_audit",
               data={"non_conformities": findings if target != "rejected" else []})
    if target == "corrective_action":
        await fire(auditor, "request_corrective_action")
        return
    if target != "rejected":
        await fire(auditor, "request_corrective_action")
        open_ids = (await session.scalars(select(col(NonConformity.id)).where(
            col(NonConformity.case_id) == case.id, col(NonConformity.status) == "open"))).all()
        await fire(recruiter, "submit_corrective_action", data={"plans": [
            {"non_conformity_id": nc, "action": "Ledger itemised by ILO category"} for nc in open_ids
        ]})
        await fire(auditor, "accept_corrective_action")
    await fire(auditor, "refer_for_decision")
    if target == "rejected":
        await fire(manager, "reject", reason_code="fees_charged_to_workers",
                   note="Worker interviews showed fees were charged (demo)")
        return
    await fire(manager, "accredit")
    if target == "suspended":
        # recently: a suspension lasts six months at most, then the system withdraws it
        clock.set(max(clock(), real_now - timedelta(days=rng.randint(10, 120))))
        await fire(manager, "suspend", reason_code="substantiated_complaint",
                   note="Complaint about passport retention substantiated (demo)")
    elif target == "withdrawn":
        await fire(recruiter, "withdraw_voluntarily", reason_code="voluntary")
    elif target == "expired":
        clock.set(real_now - timedelta(days=1))
        await fire(manager, "expire")

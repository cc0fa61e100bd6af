"""Demo data: staff accounts and a few hundred recruiters walked through the real workflow,
so a newcomer sees a populated roster and a valid audit trail at once."""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from iris_engine.accreditation import WORKFLOW
from iris_engine.cases import Principal
from iris_engine.clock import ManualClock
from iris_engine.demo_grievances import DEMO_AUTHORITIES, seed_grievances
from iris_engine.people import NewUser
from iris_engine.services import Services
from iris_engine.store.models import Accreditation, NonConformity, Organisation, User
from iris_engine.workflow import TransitionInput

__all__ = ["DEMO_STAFF", "seed_demo"]

#: (e-mail, password, name, roles, organisation)
DEMO_STAFF = [
    ("manager@demo.iris.example", "demo-manager-2026", "Scheme Manager (demo)",
     ("scheme_manager",), "IRIS Scheme Secretariat (demo)"),
    ("auditor@demo.iris.example", "demo-auditor-2026", "Lead Auditor (demo)",
     ("auditor",), "Independent Audit Body (demo)"),
    ("auditor2@demo.iris.example", "demo-auditor-2026", "Second Auditor (demo)",
     ("auditor",), "Independent Audit Body (demo)"),
    ("admin@demo.iris.example", "demo-admin-2026", "Administrator (demo)",
     ("admin",), "IRIS Scheme Secretariat (demo)"),
    ("caseworker@demo.iris.example", "demo-caseworker-2026", "Caseworker (demo)",
     ("caseworker",), "IRIS Scheme Secretariat (demo)"),
    ("supervisor@demo.iris.example", "demo-supervisor-2026", "Grievance Supervisor (demo)",
     ("supervisor",), "IRIS Scheme Secretariat (demo)"),
]
#: authority users, one per demo authority (their organisations come with the directory)
DEMO_AUTHORITY_PASSWORD = "demo-authority-2026"
DEMO_RECRUITER_PASSWORD = "demo-recruiter-2026"

_CORRIDORS = [("NP", ["NP", "QA", "AE"]), ("PH", ["PH", "SA", "SG", "HK"]),
              ("KE", ["KE", "SA", "AE"]), ("BD", ["BD", "MY", "SA"]), ("VN", ["VN", "JP", "TW"]),
              ("MX", ["MX", "US", "CA"]), ("GT", ["GT", "US"]), ("LK", ["LK", "KW", "QA"]),
              ("ET", ["ET", "SA", "LB"]), ("ID", ["ID", "MY", "HK"])]
_WORDS = ["Global", "Horizon", "Sunrise", "Bridge", "Fair", "Summit", "Harbour", "Compass",
          "Lotus", "Everest", "Meridian", "Unity", "Trust", "Pioneer", "Crescent", "Atlas"]
_KINDS = ["Manpower", "Recruitment", "Overseas Employment", "Staffing", "Placement", "HR Services"]

# final state -> share of demo recruiters
_PLAN = [("accredited", 62), ("suspended", 8), ("withdrawn", 7), ("expired", 6),
         ("submitted", 6), ("audit_planned", 4), ("corrective_action", 3), ("rejected", 4)]


def _self_assessment(services: Services, countries: list[str], today: datetime) -> dict[str, Any]:
    folder = services.codes.get("iris-standard/1.2").folder
    doc = json.loads((folder / "examples" / "valid" / "minimal-complete.json").read_text())
    doc = copy.deepcopy(doc)
    a = doc["principles"]["A"]
    a["countries_of_operation"] = countries
    for lic in a["licences"]:
        lic["country"] = countries[0]
        lic["valid_from"] = (today - timedelta(days=4000)).date().isoformat()
        lic["valid_until"] = (today + timedelta(days=2000)).date().isoformat()
    return doc


async def seed_demo(services: Services, *, recruiters: int = 300, seed: int = 2026) -> bool:
    """Seed an empty database; returns False (and does nothing) if it has organisations."""
    rng = random.Random(seed)
    people = services.people
    async with services.db.write() as session:
        if (await session.scalar(select(func.count()).select_from(Organisation))) or 0:
            return False
        orgs: dict[str, Organisation] = {}
        staff: dict[str, Principal] = {}
        for email, password, name, roles, org_name in DEMO_STAFF:
            if org_name not in orgs:
                kind = "audit_body" if "Audit" in org_name else "scheme"
                orgs[org_name] = await people.add_organisation(session, kind=kind, name=org_name,
                                                               country="CH")
            user = await people.add_user(session, orgs[org_name], NewUser(email, name, password, roles))
            staff[email] = Principal(user.id or 0, user.organisation_id, frozenset(roles), email)
    manager = staff[DEMO_STAFF[0][0]]
    auditors = [staff[DEMO_STAFF[1][0]], staff[DEMO_STAFF[2][0]]]
    shared_hash = await people.hash_password(DEMO_RECRUITER_PASSWORD)
    states = [s for s, share in _PLAN for _ in range(share)]
    real_now = services.clock()
    batch = 50
    for start in range(0, recruiters, batch):
        async with services.db.write() as session:
            for i in range(start, min(start + batch, recruiters)):
                home, countries = _CORRIDORS[i % len(_CORRIDORS)]
                name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.choice(_KINDS)} {i + 1:03d}"
                org = Organisation(kind="recruiter", name=name, country=home, created_at=real_now)
                session.add(org)
                await session.flush()
                user = User(email=f"recruiter{i + 1:03d}@demo.iris.example",
                            name=f"Recruiter {i + 1:03d} (demo)", password_hash=shared_hash,
                            organisation_id=org.id or 0, roles="recruiter", created_at=real_now)
                session.add(user)
                await session.flush()
                recruiter = Principal(user.id or 0, org.id or 0, frozenset({"recruiter"}), user.email)
                target = states[i % len(states)]
                # expired certificates were granted more than three years ago
                days_ago = rng.randint(1200, 1300) if target == "expired" else rng.randint(20, 900)
                clock = ManualClock(real_now - timedelta(days=days_ago))
                await _walk(services, session, clock, recruiter, manager, auditors[i % 2],
                            _self_assessment(services, countries, real_now), target, real_now, rng)
    await seed_grievances(services, caseworker=staff["caseworker@demo.iris.example"],
                          supervisor=staff["supervisor@demo.iris.example"], real_now=real_now,
                          rng=rng)
    async with services.db.write() as session:
        for name, _countries, _remits, email in DEMO_AUTHORITIES:
            org = (await session.scalars(select(Organisation).where(Organisation.name == name))).one()
            await people.add_user(session, org, NewUser(email, f"Officer, {name}",
                                                        DEMO_AUTHORITY_PASSWORD, ("authority",)))
    return True


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
                                  case_id=case.id, code_of_conduct="iris-standard/1.2"))).case
    await session.flush()

    async def fire(who: Principal, event: str, **kw: Any) -> None:
        clock.advance(days=rng.randint(1, 9), minutes=rng.randint(0, 600))
        await engine.fire(session, WORKFLOW, case.id or 0, who,
                          TransitionInput(event, case.revision, **kw))

    await fire(recruiter, "update_self_assessment", data={"self_assessment": document})
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
        open_ids = (await session.scalars(select(NonConformity.id).where(
            NonConformity.case_id == case.id, NonConformity.status == "open"))).all()
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

"""Demo data: staff accounts, then each domain's own demo (recruiters at every stage, grievances,
referrals, ...), so a newcomer sees a populated roster and valid audit trails at once."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from iris_engine.cases import Principal
from iris_engine.domain import DemoLogin, DemoSeed
from iris_engine.people import NewUser
from iris_engine.services import Services
from iris_engine.store.models import Organisation

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


async def seed_demo(services: Services, *, seed: int = 2026,
                    sizes: dict[str, int] | None = None) -> list[DemoLogin] | None:
    """Seed an empty database: the staff, then every domain in order. Answers the accounts to
    sign in with, or None (and does nothing) if the database has organisations already."""
    demo = DemoSeed(services, random.Random(seed), services.clock(), sizes=dict(sizes or {}))
    people = services.people
    logins = []
    async with services.db.write() as session:
        if (await session.scalar(select(func.count()).select_from(Organisation))) or 0:
            return None
        orgs: dict[str, Organisation] = {}
        for email, password, name, roles, org_name in DEMO_STAFF:
            if org_name not in orgs:
                kind = "audit_body" if "Audit" in org_name else "scheme"
                orgs[org_name] = await people.add_organisation(session, kind=kind, name=org_name,
                                                               country="CH")
            user = await people.add_user(session, orgs[org_name], NewUser(email, name, password, roles))
            demo.staff[email] = Principal(user.id or 0, user.organisation_id, frozenset(roles), email)
            logins.append(DemoLogin(", ".join(roles), email, password, user_id=user.id))
    for domain in services.domains:
        if domain.seed_demo is not None:
            logins += await domain.seed_demo(demo)
    return logins

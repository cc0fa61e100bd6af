"""Demo data: staff accounts, then each domain's own demo (recruiters at every stage, grievances,
referrals, ...), so a newcomer sees a populated roster and valid audit trails at once."""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlmodel import col

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.domain import DemoLogin, DemoSeed
from iris_engine.errors import ConfigurationError
from iris_engine.people import NewUser
from iris_engine.services import Services
from iris_engine.store.models import Organisation, User

__all__ = ["DEMO_DOMAIN", "DEMO_STAFF", "prepare_demo_organisation", "seed_demo"]

#: where every account the demo makes has its address (``iris demo prepare`` acts only as them)
DEMO_DOMAIN = "demo.iris.example"
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


async def prepare_demo_organisation(services: Services, name: str) -> bool:
    """Ready the organisation called ``name`` as the demo readies its own before acting for
    them (``DemoSeed.prepare_organisations``), acting as the demo's staff (accounts at
    ``DEMO_DOMAIN``), never as anyone else. Answers False when no organisation has that name;
    raises ConfigurationError on a database the demo did not seed."""
    if "\x00" in name or len(name) > bounds.ORGANISATION_NAME:  # no such name is stored
        return False
    async with services.db.read() as session:
        organisation_id = await session.scalar(
            select(col(Organisation.id)).where(col(Organisation.name) == name))
        if organisation_id is None:
            return False
        users = (await session.scalars(select(User).where(
            col(User.active), col(User.organisation_id) != organisation_id,
            col(User.email).endswith(DEMO_DOMAIN)))).all()
    if not users:
        raise ConfigurationError("this database holds none of the demo's staff: only a demo "
                                 "(iris serve --demo, iris demo seed) is prepared this way")
    demo = DemoSeed(services, random.Random(name), services.clock())
    demo.staff = {u.email: Principal(u.id or 0, u.organisation_id, u.role_set, u.email)
                  for u in users}
    await demo.prepare_organisations([organisation_id])
    return True

"""Demo authorities: a directory of three, each with an officer who signs in to its referrals."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from iris_engine.disclosure.schemas import AuthorityCreate, Remit
from iris_engine.domain import DemoLogin, DemoSeed
from iris_engine.people import NewUser
from iris_engine.store.models import Organisation

__all__ = ["DEMO_AUTHORITIES", "seed_demo"]

DEMO_AUTHORITY_PASSWORD = "demo-authority-2026"

#: (name, countries, remits, e-mail of its demo user)
DEMO_AUTHORITIES: list[tuple[str, list[str], list[Remit], str]] = [
    ("Department of Foreign Employment (demo)", ["NP"], ["licensing", "labour_exploitation"],
     "officer@dofe.demo.iris.example"),
    ("Ministry of Labour, labour inspection (demo)", ["QA", "AE", "SA"],
     ["labour_exploitation", "wages", "licensing"], "inspector@mol.demo.iris.example"),
    ("Police, anti-trafficking unit (demo)", ["QA", "NP", "PH", "KE", "AE"],
     ["trafficking", "child_protection"], "detective@police.demo.iris.example"),
]


async def seed_demo(seed: DemoSeed) -> list[DemoLogin]:
    directory = seed.services.authorities
    logins = []
    for name, countries, remits, email in DEMO_AUTHORITIES:
        await directory.add(None, AuthorityCreate(name=name, countries=countries, remits=remits))
        async with seed.services.db.write() as session:
            org = (await session.scalars(select(Organisation).where(col(Organisation.name) == name))).one()
            user = await seed.services.people.add_user(session, org, NewUser(
                email, f"Officer, {name}", DEMO_AUTHORITY_PASSWORD, ("authority",)))
        logins.append(DemoLogin("authority", email, DEMO_AUTHORITY_PASSWORD, user_id=user.id))
    return logins

"""The authorities directory: who can act on what, where, and how a referral reaches them."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import Principal
from iris_engine.clock import Clock
from iris_engine.disclosure.models import Authority
from iris_engine.disclosure.schemas import AuthorityCreate, AuthorityView
from iris_engine.errors import FieldError, Forbidden, InvalidInput
from iris_engine.names import clean_name
from iris_engine.outbox.store import authority_secret_place
from iris_engine.outbox.urls import check_webhook_url
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import Organisation
from iris_engine.vault import Vault

__all__ = ["Authorities", "authority_view"]

_NAME_MAX = Authority.__table__.c.name.type.length  # type: ignore[attr-defined]


def authority_view(a: Authority, secret: str | None = None) -> AuthorityView:
    return AuthorityView(id=a.id or 0, organisation_id=a.organisation_id, name=a.name,
                         countries=a.countries.split(), remits=a.remits.split(), channel=a.channel,
                         webhook_url=a.webhook_url, active=a.active, webhook_secret=secret)


class Authorities:
    def __init__(self, db: Database, vault: Vault, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.vault = vault
        self.settings = settings
        self.clock = clock

    async def add(self, principal: Principal | None, data: AuthorityCreate) -> AuthorityView:
        """Add an authority and its organisation (admins; ``None``: the command line)."""
        if principal is not None and "admin" not in principal.roles:
            raise Forbidden("only an admin maintains the authorities directory")
        name = clean_name(data.name, "/name", max_length=_NAME_MAX)
        if data.channel == "webhook":
            if not data.webhook_url:
                raise InvalidInput("a webhook authority needs a URL",
                                   errors=[FieldError("/webhook_url", "an https URL")])
            check_webhook_url(data.webhook_url, self.settings, pointer="/webhook_url")
        elif data.webhook_url:
            raise InvalidInput("an inbox authority has no webhook URL",
                               errors=[FieldError("/webhook_url", "only with channel webhook")])
        now = self.clock()
        secret = secrets.token_urlsafe(32) if data.channel == "webhook" else None
        async with self.db.write() as session:
            org = Organisation(kind="authority", name=name, country=data.countries[0],
                               created_at=now)
            session.add(org)
            await session.flush()
            row = Authority(organisation_id=org.id or 0, name=name,
                            countries=" ".join(dict.fromkeys(data.countries)),
                            remits=" ".join(dict.fromkeys(data.remits)), channel=data.channel,
                            webhook_url=data.webhook_url, created_at=now)
            session.add(row)
            await session.flush()
            if secret is not None:
                row.webhook_secret_sealed = self.vault.seal(
                    secret, place=authority_secret_place(row.id or 0))
            return authority_view(row, secret)

    async def list(self) -> list[AuthorityView]:
        async with self.db.read() as session:
            rows = (await session.scalars(select(Authority).order_by(col(Authority.name)))).all()
            return [authority_view(a) for a in rows]

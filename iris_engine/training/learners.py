"""Learners: found again by the keyed digest of their e-mail, their name and address sealed,
and the link token that opens their record (only its sha256 is kept)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import Principal
from iris_engine.training.certificates import link_token_digest as token_hash
from iris_engine.training.models import Learner
from iris_engine.training.sealing import email_digest, learner_place
from iris_engine.vault import Vault

__all__ = ["LearnerBook", "NewLearner", "learner_principal", "token_hash"]


def learner_principal(enrolment_case_id: int) -> Principal:
    """A learner acting on the one enrolment their token (or confirmation) opens."""
    return Principal(user_id=0, organisation_id=0, roles=frozenset({"learner"}),
                     case_id=enrolment_case_id)


@dataclass(frozen=True, slots=True)
class NewLearner:
    name: str
    email: str
    sector: str
    organisation_name: str | None = None
    #: the organisation whose coordinator vouches for them
    organisation_id: int | None = None


class LearnerBook:
    def __init__(self, vault: Vault, data_keys: str) -> None:
        self.vault = vault
        self._data_keys = data_keys

    def digest(self, email: str) -> str:
        return email_digest(email, self._data_keys)

    async def find_or_add(self, session: AsyncSession, person: NewLearner,
                          now: datetime) -> Learner:
        """The learner with this address (their organisation updated when a coordinator
        vouches for them), or a new one with name and address sealed."""
        digest = self.digest(person.email)
        learner = (await session.scalars(select(Learner).where(
            col(Learner.email_digest) == digest).order_by(col(Learner.id)).with_for_update())).first()
        if learner is None:
            learner = Learner(email_digest=digest, sector=person.sector, created_at=now,
                              organisation_name=person.organisation_name,
                              organisation_id=person.organisation_id)
            session.add(learner)
            await session.flush()
            learner.name_sealed = self.vault.seal(person.name, place=learner_place(learner.id or 0, "name"))
            learner.email_sealed = self.vault.seal(person.email.strip(),
                                                   place=learner_place(learner.id or 0, "email"))
        elif person.organisation_id is not None:
            learner.organisation_id = person.organisation_id
            learner.organisation_name = person.organisation_name
            learner.sector = person.sector
        return learner

    def name(self, learner: Learner) -> str | None:
        if learner.name_sealed is None:
            return None
        return str(self.vault.open(learner.name_sealed, place=learner_place(learner.id or 0, "name")))

    def rename(self, learner: Learner, name: str) -> None:
        learner.name_sealed = self.vault.seal(name, place=learner_place(learner.id or 0, "name"))

    @staticmethod
    def new_link_token(learner: Learner) -> str:
        """A fresh link token for the learner (the one before stops working)."""
        token = secrets.token_urlsafe(32)
        learner.link_token_hash = token_hash(token)
        return token

    @staticmethod
    async def by_link_token(session: AsyncSession, token: str) -> Learner | None:
        return (await session.scalars(select(Learner).where(
            col(Learner.link_token_hash) == token_hash(token)))).first()

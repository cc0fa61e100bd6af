"""Recruiter self-registration that does not tell who has an account.

A registration answers the same (202, the same body), after the same work (one password hash,
one e-mail in the outbox), whether or not the address has an account. A new address gets an
account that waits for confirmation: only whoever reads its mailbox can confirm it, so logging
in with the password one registered says nothing either. An address that has an account gets
an e-mail saying someone tried, and nothing changes. E-mails hold no text the registrant wrote
(no organisation name), so the form cannot send anyone a message of an attacker's choosing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.clock import Clock
from iris_engine.errors import NotFound
from iris_engine.outbox import enqueue
from iris_engine.people.service import NewUser, People, normalise_email
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import Organisation, User

__all__ = ["Registrations"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Registrations:
    def __init__(self, db: Database, people: People, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.people = people
        self.settings = settings
        self.clock = clock

    async def register(self, *, name: str, country: str, user: NewUser) -> None:
        """A recruiter organisation and its first user, waiting for the address to be
        confirmed; or, if the address has an account, an e-mail to its owner. The caller learns
        nothing of which (invalid input is refused alike in both cases, before either)."""
        user = NewUser(user.email, user.name, user.password, ("recruiter",))
        name = self.people.check_organisation(kind="recruiter", name=name, country=country)
        user_name = self.people.check_user(user, organisation_name=name, base_pointer="/user")
        email = normalise_email(user.email)
        now = self.clock()
        # hashed on both paths, before the transaction: what makes the time of an answer
        password_hash = await self.people.hash_password(user.password)
        token = secrets.token_urlsafe(32)
        async with self.db.write() as session:
            row = (await session.scalars(select(User).where(col(User.email) == email)
                                         .with_for_update())).first()
            lapsed = (row is not None and row.confirmation_hash is not None and row.created_at
                      < now - timedelta(seconds=self.settings.registration_confirm_seconds))
            if row is not None and not lapsed:
                self._tell_owner(session, email, now)
                return
            if row is None:  # the address is new
                try:
                    async with session.begin_nested():
                        organisation = await self.people.add_organisation(
                            session, kind="recruiter", name=name, country=country)
                        session.add(User(
                            email=email, name=user_name, password_hash=password_hash,
                            organisation_id=organisation.id or 0, roles="recruiter",
                            token_version=0, confirmation_hash=_hash(token), created_at=now))
                        await session.flush()
                except IntegrityError:  # registered a moment ago, by a request beside this one
                    self._tell_owner(session, email, now)
                    return
            else:  # a registration never confirmed: the newer one takes its place
                pending = await session.get(Organisation, row.organisation_id,
                                            with_for_update=True)
                assert pending is not None
                pending.name, pending.country = name, country
                row.name, row.password_hash = user_name, password_hash
                row.confirmation_hash, row.created_at = _hash(token), now
                await self.people.organisation_named(session, pending)
            self._ask_to_confirm(session, email, token, now)

    async def confirm(self, token: str) -> User:
        """Confirm the address a registration e-mailed ``token`` to: the account may log in."""
        now = self.clock()
        oldest = now - timedelta(seconds=self.settings.registration_confirm_seconds)
        async with self.db.write() as session:
            row = (await session.scalars(select(User).where(
                col(User.confirmation_hash) == _hash(token)).with_for_update())).first()
            if row is None or row.created_at < oldest:
                raise NotFound("no registration waits for this token (tokens last "
                               f"{self.settings.registration_confirm_seconds // 3600} hours; "
                               "register again to get a new one)")
            row.confirmation_hash = None
            return row

    def _ask_to_confirm(self, session: AsyncSession, email: str, token: str, now: datetime) -> None:
        base = self.settings.public_url.rstrip("/")
        hours = self.settings.registration_confirm_seconds // 3600
        enqueue(session, channel="email", destination=email,
                topic="account.confirm", now=now, payload={
                    "subject": "[IRIS] Confirm your e-mail address",
                    "text": "\n".join([
                        "Someone (we hope you) registered a recruiter organisation in IRIS Engine "
                        "with this e-mail address.", "",
                        f"To confirm it within {hours} hours, open this link and press the "
                        "button:", "", f"{base}/staff/confirm?token={token}", "",
                        f"Or POST this token to {base}/api/v1/recruiters/confirm:", "",
                        f"    {token}", "",
                        "Then log in with the password you chose. If you did not register, "
                        "ignore this e-mail: the registration lapses by itself."]),
                })

    def _tell_owner(self, session: AsyncSession, email: str, now: datetime) -> None:
        base = self.settings.public_url.rstrip("/")
        enqueue(session, channel="email", destination=email,
                topic="account.exists", now=now, payload={
                    "subject": "[IRIS] Someone tried to register with your e-mail address",
                    "text": "\n".join([
                        "Someone (perhaps you) tried to register a recruiter organisation in "
                        "IRIS Engine with this e-mail address, which already has an account. "
                        "Nothing was changed.", "",
                        f"If it was you, log in at {base}/api/v1/auth/token with your password "
                        "(or confirm your registration with the token we sent you first). If "
                        "you cannot, ask the scheme's administrator.", "",
                        "If it was not you, you need do nothing."]),
                })

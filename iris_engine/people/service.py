"""Organisations and users: registration, staff accounts, password login."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import Principal, utcnow
from iris_engine.errors import Conflict, FieldError, InvalidInput, NotAuthenticated
from iris_engine.names import checked_name
from iris_engine.store.models import Organisation, User

__all__ = ["ORGANISATION_KINDS", "NewUser", "OrganisationAdded", "People"]

ORGANISATION_KINDS = ("recruiter", "audit_body", "scheme", "authority")
_ORGANISATION_NAME_MAX = Organisation.__table__.c.name.type.length  # type: ignore[attr-defined]
_USER_NAME_MAX = User.__table__.c.name.type.length  # type: ignore[attr-defined]
#: told of each organisation added, in the transaction that adds it (a domain's declaration)
OrganisationAdded = Callable[[AsyncSession, Organisation], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    name: str
    password: str
    roles: tuple[str, ...]


def _check_user(user: NewUser, base: str, roles: Sequence[str]) -> tuple[str, list[FieldError]]:
    """The user's name as stored, and what is wrong with the rest."""
    errors: list[FieldError] = []
    if "@" not in user.email or user.email.startswith("@") or user.email.endswith("@"):
        errors.append(FieldError(f"{base}/email", "an e-mail address, e.g. name@agency.example"))
    if len(user.password) < 10:
        errors.append(FieldError(f"{base}/password", "at least 10 characters"))
    name = checked_name(user.name, f"{base}/name", errors, max_length=_USER_NAME_MAX)
    bad = [r for r in user.roles if r not in roles]
    if bad or not user.roles:
        errors.append(FieldError(f"{base}/roles", f"roles among {', '.join(roles)}"))
    return name, errors


class People:
    """``roles``: the roles an account may hold (those the workflows give access to);
    ``hasher``: the password hasher of the configured profile; ``on_organisation_added``: what
    the domains do when an organisation is added (e.g. look for a name that imitates another)."""

    def __init__(self, roles: Sequence[str], hasher: PasswordHasher, *,
                 on_organisation_added: Sequence[OrganisationAdded] = ()) -> None:
        self.roles = tuple(roles)
        self._hasher = hasher
        self.on_organisation_added = tuple(on_organisation_added)
        # verified against when the e-mail is unknown, so both answers take the same time; made
        # by this hasher, so it costs what a real user's hash costs, on first use (the
        # production profile costs ~100 ms and 64 MiB, too much to pay at start-up)
        self._dummy_hash: str | None = None

    async def hash_password(self, password: str) -> str:
        """Hash in a worker thread: argon2 must not stall the event loop."""
        return await asyncio.to_thread(self._hasher.hash, password)

    def password_matches(self, password_hash: str | None, password: str) -> bool:
        """Blocking: run it in a worker thread. ``None`` (no such user) never matches but
        takes as long as a real check."""
        if password_hash is None:
            self._dummy_hash = self._dummy_hash or self._hasher.hash("not a password")
            self._verifies(self._dummy_hash, password)
            return False
        return self._verifies(password_hash, password)

    def _verifies(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerifyMismatchError, InvalidHashError):
            return False

    async def add_organisation(self, session: AsyncSession, *, kind: str, name: str,
                               country: str) -> Organisation:
        errors = []
        if kind not in ORGANISATION_KINDS:
            errors.append(FieldError("/organisation/kind", "one of " + ", ".join(ORGANISATION_KINDS)))
        name = checked_name(name, "/organisation/name", errors, max_length=_ORGANISATION_NAME_MAX)
        if not (len(country) == 2 and country.isalpha() and country.isupper()):
            errors.append(FieldError("/organisation/country",
                                     "a two-letter ISO 3166-1 code in capitals, e.g. NP"))
        if errors:
            raise InvalidInput("the organisation is incomplete or invalid", errors=errors)
        org = Organisation(kind=kind, name=name, country=country, created_at=utcnow())
        session.add(org)
        await session.flush()
        for listener in self.on_organisation_added:
            await listener(session, org)
        return org

    async def add_user(self, session: AsyncSession, organisation: Organisation, user: NewUser,
                       *, base_pointer: str = "") -> User:
        name, errors = _check_user(user, base_pointer, self.roles)
        if errors:
            raise InvalidInput("the user is incomplete or invalid", errors=errors)
        password_hash = await self.hash_password(user.password)
        row = User(email=user.email.strip().lower(), name=name,
                   password_hash=password_hash, organisation_id=organisation.id or 0,
                   roles=" ".join(sorted(set(user.roles))), created_at=utcnow())
        session.add(row)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise Conflict(f"a user with e-mail {row.email} already exists",
                           errors=[FieldError(f"{base_pointer}/email", "already registered")]) from None
        return row

    async def register_recruiter(self, session: AsyncSession, *, name: str, country: str,
                                 user: NewUser) -> tuple[Organisation, User]:
        """Self-registration: a recruiter organisation and its first user, together."""
        org = await self.add_organisation(session, kind="recruiter", name=name, country=country)
        first = await self.add_user(session, org, NewUser(user.email, user.name, user.password,
                                                          ("recruiter",)), base_pointer="/user")
        return org, first

    async def authenticate(self, session: AsyncSession, email: str, password: str) -> Principal:
        row = (await session.scalars(select(User).where(col(User.email) == email.strip().lower()))).first()
        matches = await asyncio.to_thread(self.password_matches, row.password_hash if row else None,
                                          password)
        if row is None or not matches or not row.active:
            raise NotAuthenticated("wrong e-mail or password")
        return Principal(row.id or 0, row.organisation_id, row.role_set, row.email)

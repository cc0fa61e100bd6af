"""Organisations and accounts: adding them, checking passwords, and the changes an
administrator makes (deactivation, roles, password), each of which ends the account's tokens."""

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

from iris_engine.cases import utcnow
from iris_engine.errors import Conflict, FieldError, InvalidInput, NotFound
from iris_engine.names import checked_name
from iris_engine.people.password_policy import password_problem
from iris_engine.store.models import Organisation, User

__all__ = ["ORGANISATION_KINDS", "NewUser", "OrganisationAdded", "People", "normalise_email"]

#: the platform's kinds of organisation; a domain adds its own (``Domain.organisation_kinds``)
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


def _check_user(user: NewUser, base: str, roles: Sequence[str],
                context: Sequence[str]) -> tuple[str, list[FieldError]]:
    """The user's name as stored, and what is wrong with the rest."""
    errors: list[FieldError] = []
    if "@" not in user.email or user.email.startswith("@") or user.email.endswith("@"):
        errors.append(FieldError(f"{base}/email", "an e-mail address, e.g. name@agency.example"))
    name = checked_name(user.name, f"{base}/name", errors, max_length=_USER_NAME_MAX)
    problem = password_problem(user.password, context=(user.email, name, *context))
    if problem:
        errors.append(FieldError(f"{base}/password", problem))
    errors.extend(_role_errors(user.roles, roles, f"{base}/roles"))
    return name, errors


def _role_errors(given: Sequence[str], known: Sequence[str], pointer: str) -> list[FieldError]:
    if not given or any(r not in known for r in given):
        return [FieldError(pointer, f"roles among {', '.join(known)}")]
    return []


def normalise_email(email: str) -> str:
    """The form an e-mail is stored and looked up in."""
    return email.strip().lower()


class People:
    """``roles``: the roles an account may hold (those the workflows give access to);
    ``hasher``: the password hasher of the configured profile; ``on_organisation_added``: what
    the domains do when an organisation is added (e.g. look for a name that imitates another)."""

    def __init__(self, roles: Sequence[str], hasher: PasswordHasher, *,
                 on_organisation_added: Sequence[OrganisationAdded] = (),
                 organisation_kinds: Sequence[str] = ()) -> None:
        self.roles = tuple(roles)
        self.organisation_kinds = tuple(dict.fromkeys((*ORGANISATION_KINDS, *organisation_kinds)))
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

    def check_organisation(self, *, kind: str, name: str, country: str) -> str:
        """The organisation's name as stored; refuses (422) an unknown kind, a missing or
        deceiving name, or a malformed country."""
        errors: list[FieldError] = []
        if kind not in self.organisation_kinds:
            errors.append(FieldError("/organisation/kind",
                                     "one of " + ", ".join(self.organisation_kinds)))
        name = checked_name(name, "/organisation/name", errors, max_length=_ORGANISATION_NAME_MAX)
        if not (len(country) == 2 and country.isalpha() and country.isupper()):
            errors.append(FieldError("/organisation/country",
                                     "a two-letter ISO 3166-1 code in capitals, e.g. NP"))
        if errors:
            raise InvalidInput("the organisation is incomplete or invalid", errors=errors)
        return name

    async def add_organisation(self, session: AsyncSession, *, kind: str, name: str,
                               country: str) -> Organisation:
        name = self.check_organisation(kind=kind, name=name, country=country)
        org = Organisation(kind=kind, name=name, country=country, created_at=utcnow())
        session.add(org)
        await session.flush()
        await self.organisation_named(session, org)
        return org

    async def organisation_named(self, session: AsyncSession, organisation: Organisation) -> None:
        """Tell the domains an organisation was added, or took a new name."""
        for listener in self.on_organisation_added:
            await listener(session, organisation)

    def check_user(self, user: NewUser, *, organisation_name: str = "",
                   base_pointer: str = "") -> str:
        """The user's name as stored; refuses (422) an incomplete user, a weak password or an
        unknown role."""
        name, errors = _check_user(user, base_pointer, self.roles, (organisation_name,))
        if errors:
            raise InvalidInput("the user is incomplete or invalid", errors=errors)
        return name

    async def add_user(self, session: AsyncSession, organisation: Organisation, user: NewUser,
                       *, base_pointer: str = "", confirmation_hash: str | None = None) -> User:
        """A new account. ``confirmation_hash``: it waits for its address to be confirmed."""
        name = self.check_user(user, organisation_name=organisation.name, base_pointer=base_pointer)
        password_hash = await self.hash_password(user.password)
        row = User(email=normalise_email(user.email), name=name,
                   password_hash=password_hash, organisation_id=organisation.id or 0,
                   roles=" ".join(sorted(set(user.roles))), token_version=0,
                   confirmation_hash=confirmation_hash, created_at=utcnow())
        session.add(row)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise Conflict(f"a user with e-mail {row.email} already exists",
                           errors=[FieldError(f"{base_pointer}/email", "already registered")]) from None
        return row

    # -- changes to an account: each ends the tokens issued before it ----------------------
    async def account(self, session: AsyncSession, email: str) -> User:
        """The account with this e-mail, locked for a change (404 if none)."""
        row = (await session.scalars(select(User).where(
            col(User.email) == normalise_email(email)).with_for_update())).first()
        if row is None:
            raise NotFound(f"no account has the e-mail {email.strip()!r}")
        return row

    async def set_active(self, session: AsyncSession, email: str, active: bool) -> User:
        """Deactivate (it can no longer log in, and its tokens stop working) or reactivate."""
        row = await self.account(session, email)
        row.active = active
        return self._changed(row)

    async def confirm(self, session: AsyncSession, email: str) -> User:
        """Confirm a self-registered account's address on an administrator's word (as the
        e-mailed token would)."""
        row = await self.account(session, email)
        row.confirmation_hash = None
        return row

    async def set_roles(self, session: AsyncSession, email: str, roles: Sequence[str]) -> User:
        errors = _role_errors(roles, self.roles, "/roles")
        if errors:
            raise InvalidInput("unknown roles", errors=errors)
        row = await self.account(session, email)
        row.roles = " ".join(sorted(set(roles)))
        return self._changed(row)

    async def set_password(self, session: AsyncSession, row: User, password: str) -> User:
        """Give ``row`` (loaded for update) a new password, checked like a new one."""
        organisation = await session.get(Organisation, row.organisation_id)
        problem = password_problem(password, context=(
            row.email, row.name, organisation.name if organisation else ""))
        if problem:
            raise InvalidInput("the new password cannot be used",
                               errors=[FieldError("/new_password", problem)])
        row.password_hash = await self.hash_password(password)
        return self._changed(row)

    @staticmethod
    def _changed(row: User) -> User:
        row.token_version += 1
        return row

"""Log-in and changing one's own password, behind a back-off per account and per client.

Failures count under the account (its e-mail hashed, whether or not the account exists) and
under the client's address, in the database, so every instance shares them. Past a few free
failures each one makes the next attempt wait, doubling up to a bound: guessing slows to a
crawl, and failing on purpose cannot lock the account's owner out for longer than the bound.
A successful log-in clears the account's count.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlmodel import col

from iris_engine.errors import FieldError, InvalidInput, NotAuthenticated
from iris_engine.people.service import People, normalise_email
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import User
from iris_engine.throttle import FailureCounter, Limit, throttle_key

__all__ = ["Logins"]

#: the wait after the first failure past the free ones, doubled by each further failure
_FIRST_WAIT_SECONDS = 1.0


class Logins:
    def __init__(self, db: Database, people: People, failures: FailureCounter,
                 settings: Settings) -> None:
        self.db = db
        self.people = people
        self.failures = failures
        free, longest = settings.login_max_failures, settings.login_backoff_max_seconds
        window = settings.login_failure_window_seconds
        self._account = Limit(free, _FIRST_WAIT_SECONDS, longest, window)
        self._client = Limit(4 * free, _FIRST_WAIT_SECONDS, longest, window)

    def _limits(self, email: str, client: str) -> tuple[str, dict[str, Limit]]:
        """The account's key, and the limit of each key a failure counts under."""
        account = throttle_key("login-account", email)
        return account, {account: self._account, throttle_key("login-client", client): self._client}

    async def log_in(self, email: str, password: str, client: str) -> User:
        """The account these credentials open. A wrong password, an unknown e-mail, an
        inactive or unconfirmed account: the same 401, after the same work."""
        email = normalise_email(email)
        account, limits = self._limits(email, client)
        async with self.db.read() as session:
            await self.failures.check(session, list(limits))
            row = (await session.scalars(select(User).where(col(User.email) == email))).first()
        # verified even when there is no such account: the same work, the same count
        if not await self._verified(row, password, account, limits) or row is None:
            raise NotAuthenticated("wrong e-mail or password")
        return row

    async def change_password(self, user_id: int, current: str, new: str, client: str) -> User:
        """Set a new password after checking the current one (counted like a log-in). Every
        token issued before, the caller's included, stops working."""
        async with self.db.read() as session:
            row = await session.get(User, user_id)
            if row is None:
                raise NotAuthenticated("this account no longer exists")
            account, limits = self._limits(row.email, client)
            await self.failures.check(session, list(limits))
        if not await self._verified(row, current, account, limits):
            raise InvalidInput("the current password is wrong", errors=[
                FieldError("/current_password", "not this account's current password")])
        async with self.db.write() as session:
            locked = await self.people.account(session, row.email)
            return await self.people.set_password(session, locked, new)

    async def _verified(self, row: User | None, password: str, account: str,
                        limits: dict[str, Limit]) -> bool:
        """Whether ``password`` opens ``row`` (None: takes as long, never does), counting a
        failure under every key, or clearing the account's count."""
        matches = await asyncio.to_thread(self.people.password_matches,
                                          row.password_hash if row else None, password)
        if row is None or not matches or not row.active or row.confirmation_hash is not None:
            await self.failures.fail(limits)
            return False
        await self.failures.clear([account])
        return True

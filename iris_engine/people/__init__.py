"""Organisations, users, passwords and access tokens."""

from __future__ import annotations

from iris_engine.people.passwords import PASSWORD_HASH_PROFILES, password_hasher
from iris_engine.people.service import ORGANISATION_KINDS, NewUser, People

__all__ = ["ORGANISATION_KINDS", "PASSWORD_HASH_PROFILES", "NewUser", "People", "password_hasher"]

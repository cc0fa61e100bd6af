"""Organisations, users, passwords and access tokens."""

from __future__ import annotations

from iris_engine.people.service import ORGANISATION_KINDS, NewUser, People

__all__ = ["ORGANISATION_KINDS", "NewUser", "People"]

"""The accreditation's scope on the public roster: its corridors and sectors, written in the
transition that grants them (``publish_scope``), as rows the roster's search reads by index."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.accreditation.models import AccreditationScope
from iris_engine.accreditation.scope import EMPTY, corridor_key
from iris_engine.roster.models import RosterCorridor, RosterSector

__all__ = ["corridor_countries", "granted_scope", "scope_of", "write_scope"]


async def granted_scope(session: AsyncSession, case_id: int) -> Mapping[str, Any]:
    """The case's scope (empty for a case accredited before scopes were kept)."""
    return scope_of(await session.get(AccreditationScope, case_id))


def scope_of(row: AccreditationScope | None) -> Mapping[str, Any]:
    """The scope a case's ``accreditation_scope`` row grants (empty: no row)."""
    return {"corridors": row.corridors, "sectors": row.sectors} if row is not None else EMPTY


def corridor_countries(scope: Mapping[str, Any]) -> set[str]:
    """Every country at either end of the scope's corridors: the roster lists them among the
    countries of operation, so a search by country finds a recruiter whose scope covers it."""
    return {code for c in scope["corridors"] for code in corridor_key(c)}


async def write_scope(session: AsyncSession, lrn: str, scope: Mapping[str, Any]) -> None:
    """Make the roster's corridors and sectors of ``lrn`` those of ``scope`` (its entry exists)."""
    await session.execute(delete(RosterCorridor).where(col(RosterCorridor.lrn) == lrn))
    await session.execute(delete(RosterSector).where(col(RosterSector.lrn) == lrn))
    await session.flush()
    session.add_all([RosterCorridor(lrn=lrn, origin=o, destination=d)
                     for o, d in map(corridor_key, scope["corridors"])])
    session.add_all([RosterSector(lrn=lrn, sector=s) for s in scope["sectors"]])

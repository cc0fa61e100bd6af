"""Which authority can act on a grievance: jurisdiction (countries) and remit (what it handles)."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.disclosure.models import Authority
from iris_engine.grievances.models import Grievance

__all__ = ["ALLEGATION_REMITS", "RoutingProposal", "propose", "remits_for"]

#: allegation -> remits that can act on it, most specific first
ALLEGATION_REMITS: dict[str, tuple[str, ...]] = {
    "trafficking": ("trafficking",),
    "forced_labour": ("trafficking", "labour_exploitation"),
    "child_labour": ("child_protection", "trafficking", "labour_exploitation"),
    "recruitment_fees": ("licensing", "labour_exploitation"),
    "document_retention": ("labour_exploitation", "trafficking"),
    "contract_substitution": ("licensing", "labour_exploitation"),
    "wage_theft": ("wages", "labour_exploitation"),
    "unlicensed_recruitment": ("licensing",),
    "deception": ("labour_exploitation", "licensing"),
    "threats_or_violence": ("trafficking", "labour_exploitation"),
    "other": ("labour_exploitation",),
}


class RoutingProposal(msgspec.Struct):
    authority_id: int
    name: str
    channel: str
    #: where its jurisdiction meets the corridor: destination, origin or both
    jurisdiction: list[str]
    #: its remits that cover the allegations, best first
    remits: list[str]
    #: the remit a referral would be made under
    remit: str


def remits_for(allegations: Iterable[str]) -> list[str]:
    """Remits that cover the allegations, in order of need (the most serious first)."""
    out: list[str] = []
    for allegation in allegations or ("other",):
        for remit in ALLEGATION_REMITS.get(allegation, ("labour_exploitation",)):
            if remit not in out:
                out.append(remit)
    return out or ["labour_exploitation"]


async def propose(session: AsyncSession, grievance: Grievance) -> list[RoutingProposal]:
    """Active authorities whose jurisdiction covers the corridor and whose remit covers the
    allegations; the destination country first (where the harm happened), then remit fit."""
    needed = remits_for(sorted(grievance.allegations, key=_seriousness))
    out: list[tuple[tuple[int, int, str], RoutingProposal]] = []
    for authority in (await session.scalars(select(Authority).where(col(Authority.active)))).all():
        countries = set(authority.countries.split())
        where = [side for side, country in (("destination", grievance.destination_country),
                                            ("origin", grievance.origin_country))
                 if country in countries]
        covered = [r for r in needed if r in set(authority.remits.split())]
        if not where or not covered:
            continue
        rank = (0 if "destination" in where else 1, needed.index(covered[0]), authority.name)
        out.append((rank, RoutingProposal(authority.id or 0, authority.name, authority.channel,
                                          where, covered, covered[0])))
    return [p for _, p in sorted(out, key=lambda item: item[0])]


def _seriousness(allegation: str) -> int:
    order = list(ALLEGATION_REMITS)
    return order.index(allegation) if allegation in order else len(order)

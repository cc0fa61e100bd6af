"""Grievance references and access codes, routing to authorities, and proposed severity."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel

from iris_engine.disclosure.models import Authority
from iris_engine.disclosure.schemas import REMITS
from iris_engine.grievances.codes import (
    access_code_hash,
    canonical_reference,
    codes_match,
    new_access_code,
    new_reference,
    normalise,
)
from iris_engine.grievances.models import Grievance
from iris_engine.grievances.routing import ALLEGATION_REMITS, propose, remits_for
from iris_engine.grievances.schemas import GrievanceFiling
from iris_engine.grievances.service import propose_severity
from iris_engine.store.models import Organisation

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
GROUP = "[0-9A-HJKMNP-TV-Z]{5}"  # Crockford base 32: no I, L, O, U


# -- references and access codes ----------------------------------------------------------
def test_references_are_readable_and_random() -> None:
    """GRV-XXXXX-XXXXX in Crockford base 32, never the same twice in a small sample."""
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200
    for ref in refs:
        assert re.fullmatch(r"GRV-[0-9A-Z]{5}-[0-9A-Z]{5}", ref)
        assert re.fullmatch(f"GRV-{GROUP}-{GROUP}", ref)
        assert not set(ref[4:]) & set("ILOU")


def test_access_codes_are_four_groups_of_five() -> None:
    """Four dash-separated groups of five Crockford characters (100 bits)."""
    codes = {new_access_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch("-".join([GROUP] * 4), code)


def test_every_letter_is_drawn_and_none_is_favoured() -> None:
    """Each letter comes from the low five bits of a random byte, so the alphabet must have
    exactly 32 letters; over 64,000 letters each appears about 2,000 times (a letter favoured
    or never drawn would be far outside 1,700-2,300: ~7 standard deviations)."""
    from collections import Counter

    from iris_engine.grievances.codes import _ALPHABET

    assert len(set(_ALPHABET)) == len(_ALPHABET) == 32
    drawn = Counter("".join(new_access_code().replace("-", "") for _ in range(3200)))
    assert set(drawn) == set(_ALPHABET)
    assert all(1700 < n < 2300 for n in drawn.values()), drawn


@pytest.mark.parametrize(("typed", "stored"), [
    ("GRV-0A1B2-C3D4E", "GRV-0A1B2-C3D4E"),
    ("grv-0a1b2-c3d4e", "GRV-0A1B2-C3D4E"),
    (" GRV 0A1B2 C3D4E ", "GRV-0A1B2-C3D4E"),
    ("grv0a1b2c3d4e", "GRV-0A1B2-C3D4E"),
    ("GRV-OAIB2-C3D4E", "GRV-0A1B2-C3D4E"),  # O for 0, I for 1
    ("grv-oalb2-c3d4e", "GRV-0A1B2-C3D4E"),  # o for 0, l for 1
])
def test_canonical_reference_tolerates_typing(typed: str, stored: str) -> None:
    """A reference read aloud or typed by hand still finds its case."""
    assert canonical_reference(typed) == stored


@pytest.mark.parametrize("text", ["", "hello", "GRV-123", "XYZ-0A1B2-C3D4E"])
def test_canonical_reference_leaves_non_references_alone(text: str) -> None:
    """Text that is not a reference is passed through (and then found nowhere)."""
    assert canonical_reference(text) == text


def test_normalise() -> None:
    """Capitals, no separators, O/I/L read as 0/1."""
    assert normalise(" ab-cd ef ") == "ABCDEF"
    assert normalise("oOiIlL") == "001111"


def test_codes_match_as_typed() -> None:
    """The code typed in lower case with spaces (and O/I/L slips) matches; another does not."""
    code = new_access_code()
    stored = access_code_hash(code)
    assert codes_match(code, stored)
    assert codes_match(code.lower().replace("-", " "), stored)
    assert codes_match(" ".join(code.replace("-", "")).replace("0", "o").replace("1", "l"), stored)
    other = new_access_code()
    assert other != code and not codes_match(other, stored)


def test_access_code_hash_is_not_the_code() -> None:
    """Only a hash is stored: neither the code nor its normal form appears in it."""
    code = new_access_code()
    digest = access_code_hash(code)
    assert re.fullmatch("[0-9a-f]{64}", digest)
    assert code not in digest and normalise(code) not in digest.upper()


# -- remits -------------------------------------------------------------------------------
def test_every_allegation_maps_to_known_remits() -> None:
    """The routing table names only remits an authority can hold."""
    assert all(set(remits) <= set(REMITS) for remits in ALLEGATION_REMITS.values())


@pytest.mark.parametrize(("allegations", "remits"), [
    (["trafficking"], ["trafficking"]),
    (["forced_labour", "trafficking"], ["trafficking", "labour_exploitation"]),
    (["wage_theft", "recruitment_fees"], ["wages", "labour_exploitation", "licensing"]),
    (["child_labour", "forced_labour"],
     ["child_protection", "trafficking", "labour_exploitation"]),
    ([], ["labour_exploitation"]),
    (["something_new"], ["labour_exploitation"]),
])
def test_remits_for_keeps_order_without_duplicates(allegations: list[str],
                                                   remits: list[str]) -> None:
    """Remits follow the allegation list, each once; nothing alleged still routes somewhere."""
    assert remits_for(allegations) == remits


# -- propose ------------------------------------------------------------------------------
@pytest.fixture
async def session() -> AsyncIterator[AsyncSession]:
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    async with async_sessionmaker(engine, expire_on_commit=False)() as s:
        yield s
    await engine.dispose()


async def _authority(session: AsyncSession, name: str, countries: str, remits: str,
                     active: bool = True) -> None:
    org = Organisation(kind="authority", name=name, country=countries.split()[0], created_at=NOW)
    session.add(org)
    await session.flush()
    assert org.id is not None
    session.add(Authority(organisation_id=org.id, name=name, countries=countries, remits=remits,
                          channel="inbox", active=active, created_at=NOW))
    await session.flush()


def _grievance(allegations: list[str], origin: str = "NP", destination: str = "QA") -> Grievance:
    return Grievance(case_id=1, reference="GRV-00000-00000", access_code_hash="x",
                     complainant_role="worker", language="ne", origin_country=origin,
                     destination_country=destination, allegations=allegations, severity="low",
                     filed_at=NOW)


async def test_propose_prefers_the_destination(session: AsyncSession) -> None:
    """Where the harm happened comes first; origin-only and unfit authorities follow or drop."""
    await _authority(session, "A Nepal licensing", "NP", "licensing labour_exploitation")
    await _authority(session, "B Qatar labour", "QA AE", "labour_exploitation wages")
    await _authority(session, "C Qatar immigration", "QA", "immigration")  # no matching remit
    await _authority(session, "D India labour", "IN", "labour_exploitation")  # no country
    await _authority(session, "E Qatar closed", "QA", "licensing", active=False)
    proposals = await propose(session, _grievance(["recruitment_fees"]))
    assert [p.name for p in proposals] == ["B Qatar labour", "A Nepal licensing"]
    qatar, nepal = proposals
    assert (qatar.jurisdiction, qatar.remits, qatar.remit) == (
        ["destination"], ["labour_exploitation"], "labour_exploitation")
    assert (nepal.jurisdiction, nepal.remits, nepal.remit) == (
        ["origin"], ["licensing", "labour_exploitation"], "licensing")
    assert all(p.channel == "inbox" and p.authority_id for p in proposals)


async def test_propose_ranks_remit_fit_within_a_country(session: AsyncSession) -> None:
    """Among destination authorities, the one fit for the most serious allegation leads."""
    await _authority(session, "A labour", "QA", "labour_exploitation")
    await _authority(session, "Z anti-trafficking", "QA NP", "trafficking")
    proposals = await propose(session, _grievance(["wage_theft", "forced_labour"]))
    assert [p.name for p in proposals] == ["Z anti-trafficking", "A labour"]
    assert proposals[0].jurisdiction == ["destination", "origin"]


async def test_propose_nothing_fits(session: AsyncSession) -> None:
    """No active authority with both jurisdiction and remit: no proposal."""
    await _authority(session, "Closed", "QA", "trafficking", active=False)
    assert await propose(session, _grievance(["trafficking"])) == []


# -- severity -----------------------------------------------------------------------------
def _filing(**extra: Any) -> GrievanceFiling:
    base = {"complainant_role": "worker", "language": "ne",
            "corridor": {"origin": "NP", "destination": "QA"},
            "recruiter": {"name": "Acme Manpower"}, "narrative": "What happened."}
    return msgspec.convert(base | extra, GrievanceFiling)


@pytest.mark.parametrize(("extra", "severity"), [
    ({"in_danger": True}, "high"),
    ({"allegations": ["trafficking"]}, "high"),
    ({"allegations": ["child_labour", "other"]}, "high"),
    ({"allegations": ["threats_or_violence"]}, "high"),
    ({"in_danger": True, "fees_paid": {"amount": "100", "currency": "NPR"}}, "high"),
    ({"fees_paid": {"amount": "150000.00", "currency": "NPR"}}, "medium"),
    ({"documents_retained": True}, "medium"),
    ({"allegations": ["wage_theft"]}, "medium"),
    ({}, "low"),
    ({"allegations": ["other"]}, "low"),
])
def test_propose_severity(extra: dict[str, Any], severity: str) -> None:
    """Safety first: danger or a crime is high, money or documents medium, else low."""
    assert propose_severity(_filing(**extra)) == severity

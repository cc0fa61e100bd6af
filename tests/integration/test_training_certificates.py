"""Certificates, as the world checks them: a credential that verifies offline against the
published key set with a JOSE library that is not ours (and fails after one changed byte), a
status list whose bit flips on revocation, a public verification that never shows the e-mail
and survives hostile input, and a PDF whose text and QR code say what they should."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import zxingcpp
from jwcrypto import jwk, jws, jwt
from pypdf import PdfReader

from iris_engine.training.status_list import MIN_BITS, bit_is_set, decode_bitstring
from tests.integration.certificate_support import (
    PROVIDER_REFERENCE,
    certificate_world,
    course,
    erase_name,
    issue,
    organisation,
    revoke,
)
from tests.integration.conftest import World, assert_problem


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async for w in certificate_world(database_url, tmp_path):
        yield w


async def _key_set(world: World) -> jwk.JWKSet:
    r = await world.client.get("/.well-known/jwks.json")
    assert r.status_code == 200, r.text
    assert "public" in r.headers["cache-control"] and "max-age" in r.headers["cache-control"]
    return jwk.JWKSet.from_json(r.text)


def _verified(token: str, keys: jwk.JWKSet) -> dict:
    """Checked by jwcrypto (not the library that signed), with the key the header names."""
    checked = jwt.JWT(jwt=token, key=keys, algs=["EdDSA"], expected_type="JWS")
    return json.loads(checked.claims)


def _one_byte_changed(token: str, part: int) -> str:
    pieces = token.split(".")
    middle = len(pieces[part]) // 2
    char = pieces[part][middle]
    pieces[part] = pieces[part][:middle] + ("A" if char != "A" else "B") + pieces[part][middle + 1:]
    return ".".join(pieces)


async def test_the_credential_verifies_against_the_published_keys_and_not_once_altered(
        world: World) -> None:
    issued = await issue(world, await course(world))
    keys = await _key_set(world)
    (key,) = keys["keys"]
    public = json.loads(key.export_public())
    assert public | {"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA"} == public
    assert "d" not in public

    r = await world.client.get(f"/api/v1/certificates/{issued.number}/credential",
                               headers={"X-Learner-Token": issued.learner_token})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vc+jwt")
    assert "no-store" in r.headers["cache-control"]
    token = r.text
    header = json.loads(jws.base64url_decode(token.split(".")[0]))
    assert header == {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": public["kid"]}

    vc = _verified(token, keys)
    url = f"{world.settings.public_url}/api/v1/certificates/{issued.number}/verification"
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["id"] == url and vc["jti"] == url
    assert vc["issuer"]["id"] == world.settings.public_url and vc["issuer"]["name"]
    assert vc["validFrom"].endswith("Z") and "validUntil" not in vc
    subject = vc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"] and subject["name"] == issued.name
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Trafficking awareness for frontline professionals"
    assert "indicators" in achievement["tag"] and achievement["cpdHours"] == 3.0
    assert achievement["cpdProviderReference"] == PROVIDER_REFERENCE
    assert "80%" in achievement["criteria"]["narrative"]
    status = vc["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(issued.status_index)
    assert status["statusListCredential"].endswith("/api/v1/certificates/status-list")
    assert issued.email not in token and issued.email not in json.dumps(vc)

    for part in (0, 1, 2):
        with pytest.raises(Exception):  # noqa: B017 - jwcrypto raises one of several kinds
            _verified(_one_byte_changed(token, part), keys)


async def test_the_status_list_is_signed_and_its_bit_flips_on_revocation(world: World) -> None:
    c = await course(world)
    issued, other = await issue(world, c, status_index=4242), await issue(world, c, status_index=9)
    keys = await _key_set(world)

    async def bit() -> bool:
        r = await world.client.get("/api/v1/certificates/status-list")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vc+jwt")
        assert "public" in r.headers["cache-control"]
        listed = _verified(r.text, keys)
        assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        subject = listed["credentialSubject"]
        assert subject["statusPurpose"] == "revocation"
        assert len(decode_bitstring(subject["encodedList"])) * 8 >= MIN_BITS
        assert not bit_is_set(subject["encodedList"], other.status_index)
        return bit_is_set(subject["encodedList"], issued.status_index)

    assert not await bit()
    await revoke(world, issued.number)
    assert await bit()


async def test_verification_says_valid_then_revoked_with_the_date_and_never_the_email(
        world: World) -> None:
    c = await course(world)
    issued = await issue(world, c)
    replacement = await issue(world, c, name="Anita Gurung Sherpa", status_index=8)
    path = f"/api/v1/certificates/{issued.number}/verification"
    r = await world.client.get(path)
    assert r.status_code == 200, r.text
    assert "public" in r.headers["cache-control"] and "max-age=60" in r.headers["cache-control"]
    body = r.json()
    assert body["status"] == "valid" and body["learner_name"] == issued.name
    assert body["course_title"].startswith("Trafficking awareness")
    assert body["cpd_hours"] == 3.0 and body["provider_reference"] == PROVIDER_REFERENCE
    assert "indicators" in body["topics"] and body["awarded_on"]
    assert issued.email not in r.text

    await revoke(world, issued.number, superseded_by=replacement.number)
    body = (await world.client.get(path)).json()
    assert body["status"] == "revoked"
    assert body["revoked_on"] == world.clock().date().isoformat()
    assert body["superseded_by"] == replacement.number
    assert "learner_name" not in body and "reason" not in json.dumps(body)
    assert (await world.client.get(
        f"/api/v1/certificates/{replacement.number}/verification")).json()["status"] == "valid"


async def test_a_typed_number_is_read_as_meant_and_a_mistyped_one_is_told_apart(
        world: World) -> None:
    issued = await issue(world, await course(world))
    typed = issued.number.lower().replace("-", " ")
    body = (await world.client.get(f"/api/v1/certificates/{typed}/verification")).json()
    assert body["status"] == "valid" and body["number"] == issued.number

    wrong = issued.number[:-2] + ("X" if issued.number[-2] != "X" else "Y") + issued.number[-1]
    mistyped = (await world.client.get(f"/api/v1/certificates/{wrong}/verification")).json()
    assert mistyped["status"] == "unknown" and "mistyped" in mistyped["hint"]
    assert "learner_name" not in mistyped

    for hostile in ("x", "IRIS-TC-", "%F0%9F%92%A5", "' OR 1=1 --", "\u0130" * 30, "A" * 100):
        r = await world.client.get(f"/api/v1/certificates/{hostile}/verification")
        assert r.status_code == 200, (hostile, r.text)
        assert r.json()["status"] == "unknown"
    for refused, status in (("%00", 422), ("A" * 101, 422), ("..%2F..", 404)):
        r = await world.client.get(f"/api/v1/certificates/{refused}/verification")
        assert r.status_code == status, r.text
        assert_problem(r)


async def test_after_retention_the_certificate_still_verifies_without_a_name(
        world: World) -> None:
    issued = await issue(world, await course(world))
    await erase_name(world, issued)
    body = (await world.client.get(f"/api/v1/certificates/{issued.number}/verification")).json()
    assert body["status"] == "valid" and body["learner_name_erased"] is True
    assert "learner_name" not in body and body["course_key"] == "trafficking-awareness-frontline"


async def test_the_pdf_holds_the_number_the_name_and_a_qr_code_of_the_verification_url(
        world: World) -> None:
    issued = await issue(world, await course(world), name="José Núñez-Gurung")
    r = await world.client.get(f"/api/v1/certificates/{issued.number}.pdf",
                               headers={"X-Learner-Token": issued.learner_token})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert "no-store" in r.headers["cache-control"]
    assert r.content.startswith(b"%PDF-")
    page = PdfReader(io.BytesIO(r.content)).pages[0]
    text = page.extract_text()
    assert issued.number in text and issued.name in text and PROVIDER_REFERENCE in text
    url = f"{world.settings.public_url}/api/v1/certificates/{issued.number}/verification"
    decoded = [code.text for image in page.images for code in zxingcpp.read_barcodes(image.image)]
    assert decoded == [url]


async def test_a_download_is_for_its_holders_and_is_no_one_elses_business(world: World) -> None:
    c = await course(world)
    police = await organisation(world, "Metropolitan Police")
    council = await organisation(world, "City Council")
    issued = await issue(world, c, organisation_id=police)
    someone_else = await issue(world, c, name="Sita Rai", status_index=12)
    coordinator = await world.staff("coord@training.example", "training_coordinator",
                                    organisation="IOM training")
    ours = await world.staff("training@met.example", "organisation_coordinator",
                             organisation="Metropolitan Police", kind="recruiter")
    theirs = await world.staff("training@council.example", "organisation_coordinator",
                               organisation="City Council", kind="recruiter")
    assert theirs.organisation_id == council
    never_issued = issued.number[:-1] + ("0" if issued.number[-1] != "0" else "1")
    for suffix in (".pdf", "/credential"):
        path = f"/api/v1/certificates/{issued.number}{suffix}"
        for headers in ({"X-Learner-Token": issued.learner_token}, coordinator.headers,
                        ours.headers):
            assert (await world.client.get(path, headers=headers)).status_code == 200
        for headers in ({}, {"X-Learner-Token": someone_else.learner_token},
                        {"X-Learner-Token": "guess"}, theirs.headers):
            r = await world.client.get(path, headers=headers)
            assert r.status_code == 404, (headers, r.text)
            assert_problem(r)
            unknown = await world.client.get(f"/api/v1/certificates/{never_issued}{suffix}",
                                             headers=headers)
            assert unknown.status_code == 404 and unknown.json()["detail"] == r.json()["detail"]
        r = await world.client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert r.status_code == 401
        assert_problem(r)
    r = await world.client.get(f"/api/v1/certificates/{issued.number}.docx",
                               headers=coordinator.headers)
    assert r.status_code == 404
    assert_problem(r)
    # a learner whose records were erased has no link token any more
    await erase_name(world, issued)
    r = await world.client.get(f"/api/v1/certificates/{issued.number}.pdf",
                               headers={"X-Learner-Token": issued.learner_token})
    assert r.status_code == 404


async def test_the_verification_is_rate_limited(database_url: str, tmp_path: Path) -> None:
    async for world in certificate_world(database_url, tmp_path, public_rate_limit_per_minute=3):
        issued = await issue(world, await course(world))
        codes = [(await world.client.get(
            f"/api/v1/certificates/{issued.number}/verification")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]


async def test_rotating_the_data_keys_reseals_the_name_on_a_certificate(world: World) -> None:
    from iris_engine.rotation import rotate
    from iris_engine.training.certificates import certificate_name_place
    from iris_engine.training.models import Certificate
    from iris_engine.vault import Vault
    from tests.integration.conftest import TEST_DATA_KEYS

    issued = await issue(world, await course(world))
    newer = Vault("k3:" + "C" * 42 + "Q," + TEST_DATA_KEYS)
    moved = await rotate(world.services.db, newer, world.services.domains)
    assert moved["training_certificate.learner_name_sealed"] == 1
    async with world.services.db.read() as session:
        row = await session.get(Certificate, issued.number)
    assert row is not None and row.learner_name_sealed is not None
    assert newer.key_id(row.learner_name_sealed) == "k3"
    assert newer.open(row.learner_name_sealed, place=certificate_name_place(issued.number)) == issued.name


async def test_a_certificate_past_its_validity_verifies_as_expired(world: World) -> None:
    from datetime import timedelta

    issued = await issue(world, await course(world),
                         valid_until=world.clock().date() + timedelta(days=1))
    path = f"/api/v1/certificates/{issued.number}/verification"
    assert (await world.client.get(path)).json()["status"] == "valid"
    world.clock.advance(days=2)
    body = (await world.client.get(path)).json()
    assert body["status"] == "expired" and body["learner_name"] == issued.name
    assert body["valid_until"] == (world.clock().date() - timedelta(days=1)).isoformat()

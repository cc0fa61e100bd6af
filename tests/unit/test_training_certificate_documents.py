"""The certificate's documents without a server: the PDF prints names in the scripts of the
people IRIS trains (and says so when it cannot), its QR code decodes; the status list's bits;
the credential key's loading; the signed credential checked by a library that is not ours."""

from __future__ import annotations

import io
import json
import logging
import unicodedata
from datetime import date, datetime

import pytest
import zxingcpp
from click.testing import CliRunner
from jwcrypto import jwk, jwt
from pypdf import PdfReader

from iris_engine.cli import main
from iris_engine.errors import ConfigurationError
from iris_engine.signing_keys import key_id_of
from iris_engine.training.credentials import CredentialSigner, Issuer, credential_of
from iris_engine.training.models import Certificate
from iris_engine.training.pdf import PrintedCertificate, render_certificate, unprintable
from iris_engine.training.status_list import MIN_BITS, bit_is_set, decode_bitstring, encode_bitstring

URL = "https://iris.example/api/v1/certificates/IRIS-TC-0123456789A/verification"


def _printed(name: str | None, **kw: object) -> PrintedCertificate:
    values: dict[str, object] = {
        "number": "IRIS-TC-0123456789A", "learner_name": name,
        "course_title": "Trafficking awareness for frontline professionals",
        "topics": ("what trafficking is", "indicators"), "awarded_on": date(2026, 11, 3),
        "cpd_hours": 3.0, "provider_reference": "CPD-UK-123456", "verification_url": URL,
        "issuer_name": "IOM UK training"}
    values.update(kw)
    return PrintedCertificate(**values)  # type: ignore[arg-type]


def _text(pdf: bytes) -> str:
    """The page's text without the control characters a shaped cluster may extract as."""
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    return "".join(c for c in text if unicodedata.category(c) != "Cc" or c == "\n")




@pytest.mark.parametrize("name", ["अनिता गुरुङ", "राम बहादुर श्रेष्ठ",  # Nepali
                                  "فاطمة الزهراء", "محمد عمران خان",  # Arabic, Urdu
                                  "সুমাইয়া আক্তার",  # Bangla
                                  "Nguyễn Thị Ánh", "Łukasz Żółć", "Ольга Петренко"])
def test_a_name_in_its_own_script_prints_with_every_glyph(
        name: str, caplog: pytest.LogCaptureFixture) -> None:
    assert unprintable(name) == set()
    with caplog.at_level(logging.WARNING):
        pdf = render_certificate(_printed(name))
    assert caplog.records == []
    text = _text(pdf)
    # right-to-left words are extracted in visual order: each word is there
    assert all(word in text for word in name.split()), text


def test_a_glyph_no_font_has_is_reported_without_the_name(caplog: pytest.LogCaptureFixture) -> None:
    """The check above can fail: Chinese is outside the vendored fonts."""
    assert unprintable("Wang 王小明") == {"王", "小", "明"}
    with caplog.at_level(logging.WARNING):
        render_certificate(_printed("Wang 王小明"))
    (record,) = caplog.records
    assert "U+738B" in record.getMessage() and "王" not in record.getMessage()
    assert "Wang" not in record.getMessage()


def test_the_qr_code_decodes_to_the_verification_url_and_the_text_says_what_it_certifies() -> None:
    pdf = render_certificate(_printed("Anita Gurung", revoked_on=date(2026, 12, 1),
                                      superseded_by="IRIS-TC-1123456789B",
                                      valid_until=date(2029, 11, 3)))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert [c.text for i in page.images for c in zxingcpp.read_barcodes(i.image)] == [URL]
    text = _text(pdf)
    for shown in ("IRIS-TC-0123456789A", "Anita Gurung", "3 November 2026", "3 CPD hours",
                  "CPD-UK-123456", "indicators", URL, "Valid until 3 November 2029",
                  "REVOKED on 1 December 2026", "IRIS-TC-1123456789B", "IOM UK training"):
        assert shown in text, shown


def test_an_erased_name_prints_as_erased() -> None:
    text = _text(render_certificate(_printed(None)))
    assert "erased" in text and "IRIS-TC-0123456789A" in text


def test_the_status_list_sets_exactly_the_revoked_bits_and_grows_past_its_floor() -> None:
    encoded = encode_bitstring([0, 7, 8, 131071])
    assert encoded.startswith("u") and len(decode_bitstring(encoded)) * 8 == MIN_BITS
    assert [i for i in range(MIN_BITS) if bit_is_set(encoded, i)] == [0, 7, 8, 131071]
    assert decode_bitstring(encoded)[0] == 0b1000_0001  # bit 0 is the most significant
    assert len(decode_bitstring(encode_bitstring([MIN_BITS]))) * 8 == 2 * MIN_BITS
    assert not any(decode_bitstring(encode_bitstring([])))
    with pytest.raises(ValueError):
        encode_bitstring([-1])


SEED = "0" * 43  # 32 zero bytes, base64url


def test_the_credential_key_is_loaded_like_the_anchor_key(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        development = CredentialSigner("")
    assert development.is_development
    assert any("IRIS_CREDENTIAL_SIGNING_KEY is not set" in r.getMessage() for r in caplog.records)
    configured = CredentialSigner(SEED)
    assert not configured.is_development and configured.key_id != development.key_id
    assert configured.key_id == key_id_of(configured.jwks()["keys"][0]["x"])
    for bad in ("short", "!" * 43, "A" * 44 + "AAAA"):
        with pytest.raises(ConfigurationError) as caught:
            CredentialSigner(bad)
        assert "IRIS_CREDENTIAL_SIGNING_KEY" in caught.value.detail


def test_after_a_rotation_the_old_key_is_still_published_and_its_credentials_verify() -> None:
    old = CredentialSigner(SEED)
    token = old.sign({"id": URL, "issuer": {"id": "https://iris.example"}})
    old_public = old.jwks()["keys"][0]["x"]
    new_private = CliRunner().invoke(main, ["keys", "generate-credential-key"]).output.split(
        "IRIS_CREDENTIAL_SIGNING_KEY=")[1].split()[0]
    new = CredentialSigner(new_private, f" {old_public} ,")
    published = new.jwks()["keys"]
    assert [k["kid"] for k in published] == [new.key_id, old.key_id]
    keys = jwk.JWKSet.from_json(json.dumps(new.jwks()))
    assert json.loads(jwt.JWT(jwt=token, key=keys, algs=["EdDSA"]).claims)["id"] == URL
    with pytest.raises(ConfigurationError):
        CredentialSigner(new_private, "not-a-key")
    # the current key listed as retired too is published once
    assert len(CredentialSigner(SEED, old_public).jwks()["keys"]) == 1


def test_a_generated_credential_key_signs_what_its_printed_public_key_verifies() -> None:
    result = CliRunner().invoke(main, ["keys", "generate-credential-key"])
    assert result.exit_code == 0, result.output
    private = result.output.split("IRIS_CREDENTIAL_SIGNING_KEY=")[1].split()[0]
    public = result.output.rsplit(": ", 1)[1].strip()
    signer = CredentialSigner(private)
    assert signer.jwks()["keys"][0]["x"] == public and f"kid {signer.key_id}" in result.output


def test_a_credential_verifies_offline_and_expires_with_the_certificate() -> None:
    signer = CredentialSigner(SEED)
    certificate = Certificate(
        id="IRIS-TC-0123456789A", enrolment_case_id=1, learner_id=1, course_id=1,
        course_key="iris-ethical-recruitment-foundations", course_title="Ethical recruitment",
        topics=["fees"], cpd_hours=1.5, provider_reference="", awarded_on=date(2026, 1, 5),
        valid_until=date(2026, 1, 6), status_index=3, issued_at=datetime(2026, 1, 5, 16, 30))
    vc = credential_of(certificate, None, None, Issuer("https://iris.example", "IOM UK"),
                       "https://iris.example/")
    assert vc["validUntil"] == "2026-01-06T23:59:59Z" and vc["validFrom"] == "2026-01-05T16:30:00Z"
    assert "name" not in vc["credentialSubject"]  # erased
    keys = jwk.JWKSet.from_json(json.dumps(signer.jwks()))
    token = signer.sign(vc)
    # past validUntil a standard verifier refuses it by its exp claim
    with pytest.raises(jwt.JWTExpired):
        jwt.JWT(jwt=token, key=keys, algs=["EdDSA"])
    checked = jwt.JWT(jwt=token, key=keys, algs=["EdDSA"], check_claims=False)
    assert json.loads(checked.claims)["id"] == URL

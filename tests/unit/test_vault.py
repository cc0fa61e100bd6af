"""The vault: sealed values round-trip, bind to their place, rotate keys, refuse tampering."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from iris_engine.errors import ConfigurationError
from iris_engine.vault import DEV_KEY_ID, SealedValueError, Vault, generate_key, parse_keys

K1 = generate_key("k1")
K2 = generate_key("k2")
PLACE = "grievance:12:identity"


@pytest.fixture
def vault() -> Vault:
    return Vault(K1)


# -- round trip ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    {"name": "Ram Bahadur", "phone": "+977 98 1234 5678", "consents": [True, False]},
    {"name": "राम बहादुर", "city": "Doha — الدوحة", "note": "ß ü 🙂"},
    "a narrative of what happened",
    "काठमाडौं",
    "",
    [1, 2.5, None],
])
def test_seal_and_open_round_trip(vault: Vault, value: Any) -> None:
    """What is sealed opens to the same JSON value, whatever its script."""
    sealed = vault.seal(value, place=PLACE)
    assert sealed.startswith("v1.k1.")
    assert vault.open(sealed, place=PLACE) == value


def test_sealed_text_holds_no_plaintext(vault: Vault) -> None:
    """Neither the value nor the place can be read from the sealed text."""
    sealed = vault.seal({"name": "Sita Kumari", "email": "sita@example.org"}, place=PLACE)
    for fragment in ("Sita", "Kumari", "sita@example.org", "name", "email", "grievance"):
        assert fragment not in sealed


def test_two_seals_of_one_value_differ(vault: Vault) -> None:
    """A fresh nonce per seal: equal values cannot be spotted by equal ciphertexts."""
    first = vault.seal("same", place=PLACE)
    second = vault.seal("same", place=PLACE)
    assert first != second
    assert vault.open(first, place=PLACE) == vault.open(second, place=PLACE) == "same"


# -- refusals -----------------------------------------------------------------------------
def test_a_value_moved_to_another_place_does_not_open(vault: Vault) -> None:
    """The place is associated data: a value copied into another row or column is refused."""
    sealed = vault.seal({"name": "Ram"}, place="grievance:12:identity")
    for other in ("grievance:13:identity", "grievance:12:narrative"):
        with pytest.raises(SealedValueError, match=other):
            vault.open(sealed, place=other)


def test_a_tampered_ciphertext_does_not_open(vault: Vault) -> None:
    """Flipping one character of the body is detected by the GCM tag."""
    sealed = vault.seal({"name": "Ram"}, place=PLACE)
    head, body = sealed.rsplit(".", 1)
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    with pytest.raises(SealedValueError):
        vault.open(f"{head}.{flipped}", place=PLACE)


@pytest.mark.parametrize("cut", ["truncated", "empty_body", "short_body", "bad_chars"])
def test_a_mangled_body_is_a_sealed_value_error(vault: Vault, cut: str) -> None:
    """Found by this test: a truncated or non-base64 body escaped as binascii.Error or
    ValueError ("Nonce must be ...") instead of SealedValueError."""
    sealed = vault.seal({"name": "Ram"}, place=PLACE)
    head, body = sealed.rsplit(".", 1)
    # a length of 4n+1 characters is never valid base64
    mangled = {"truncated": body[:(len(body) - 1) // 4 * 4 + 1],
               "empty_body": "", "short_body": "AAAA", "bad_chars": body[:-2] + "!!"}[cut]
    with pytest.raises(SealedValueError):
        vault.open(f"{head}.{mangled}", place=PLACE)


@pytest.mark.parametrize("text", ["plain text", "v2.k1.AAAA", "v1.k1", "v1.k1.AA.BB"])
def test_not_a_sealed_value(vault: Vault, text: str) -> None:
    """Anything not shaped v1.<id>.<body> is refused as such."""
    with pytest.raises(SealedValueError, match="not a sealed value"):
        vault.open(text, place=PLACE)


def test_unknown_key_id_is_named(vault: Vault) -> None:
    """A value sealed with a key this vault lacks names that key."""
    sealed = Vault(K2).seal("secret", place=PLACE)
    with pytest.raises(SealedValueError, match="'k2'"):
        vault.open(sealed, place=PLACE)


# -- rotation -----------------------------------------------------------------------------
def test_rotation_opens_old_values_and_reseals_them_under_the_new_key() -> None:
    """New key first: old values still open; reseal moves them; then the old key can go."""
    old = Vault(K1).seal({"name": "Ram"}, place=PLACE)
    both = Vault(f"{K2},{K1}")
    assert both.current_id == "k2"
    assert both.open(old, place=PLACE) == {"name": "Ram"}
    moved = both.reseal(old, place=PLACE)
    assert both.key_id(moved) == "k2"
    assert Vault(K2).open(moved, place=PLACE) == {"name": "Ram"}
    assert both.reseal(moved, place=PLACE) == moved  # already current: untouched


# -- keys ---------------------------------------------------------------------------------
def test_parse_keys_in_order() -> None:
    """The first entry seals; blanks and whitespace between entries are ignored."""
    keys = parse_keys(f" {K2} , ,{K1},")
    assert [key_id for key_id, _ in keys] == ["k2", "k1"]
    assert all(len(key) == 32 for _, key in keys)


def test_generate_key_is_accepted() -> None:
    """iris keys generate makes an entry IRIS_DATA_KEYS accepts, and keys are random."""
    entry = generate_key("2026-01_a")
    [(key_id, key)] = parse_keys(entry)
    assert key_id == "2026-01_a" and len(key) == 32
    assert generate_key("x") != generate_key("x")


SHORT = K1.split(":", 1)[1][:-4]


# named cases: the keys are random, and pytest-xdist needs every worker to collect the same ids
@pytest.mark.parametrize(("spec", "match"), [
    ("no-colon-here", "entry 1"),
    (f"{K1},justtext", "entry 2"),
    (f"bad id:{K1.split(':', 1)[1]}", "entry 1"),
    (f"a.b:{K1.split(':', 1)[1]}", "entry 1"),
    (f"{'x' * 33}:{K1.split(':', 1)[1]}", "entry 1"),
    (f":{K1.split(':', 1)[1]}", "entry 1"),
    (f"k1:{SHORT}", "'k1'"),
    ("k1:", "'k1'"),
    ("k1:%%%not-base64%%%", "'k1'"),
    (f"k1:{K1.split(':', 1)[1]}AAAA", "'k1'"),
    (f"{K1},{generate_key('k1')}", "twice"),
], ids=["no-colon", "junk-second-entry", "space-in-id", "dot-in-id", "id-too-long", "empty-id",
        "key-too-short", "empty-key", "not-base64", "key-too-long", "id-twice"])
def test_parse_keys_errors(spec: str, match: str) -> None:
    """A malformed IRIS_DATA_KEYS is a configuration error naming the entry or key."""
    with pytest.raises(ConfigurationError, match=match):
        parse_keys(spec)


def test_a_key_id_with_a_trailing_newline_is_refused() -> None:
    """Found by this test: ``^...$`` with re.match let an id end in a newline."""
    with pytest.raises(ConfigurationError):
        parse_keys(f"k1\n:{K1.split(':', 1)[1]}")


@pytest.mark.parametrize("spec", ["", " ", ",", " , "])
def test_no_keys_means_the_dev_key_and_a_warning(spec: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """Without keys the vault works on the built-in dev key, and says so loudly."""
    with caplog.at_level(logging.WARNING, logger="iris_engine.vault"):
        vault = Vault(spec)
    assert vault.current_id == DEV_KEY_ID
    assert any("IRIS_DATA_KEYS" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)
    sealed = vault.seal("x", place=PLACE)
    assert vault.key_id(sealed) == DEV_KEY_ID
    assert Vault("").open(sealed, place=PLACE) == "x"


def test_configured_keys_log_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    """The dev-key warning is for the unconfigured case only."""
    with caplog.at_level(logging.WARNING, logger="iris_engine.vault"):
        Vault(K1)
    assert not caplog.records

"""Names: what one may hold, and when one may pass for another (UTS #39)."""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from types import ModuleType

import pytest

from iris_engine.errors import InvalidInput
from iris_engine.names import (
    NameRefused,
    clean_name,
    look_alike_digests,
    look_alike_keys,
    mixed_script_words,
    normalise_name,
)
from iris_engine.names.uts39 import (
    is_default_ignorable,
    resolved_script_set,
    script_extensions,
    skeleton,
    unicode_version,
)
from tests.conftest import REPO


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unicode_generate", REPO / "unicode" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_table_is_what_the_vendored_unicode_files_give() -> None:
    generate = _generator()
    shipped = (REPO / "iris_engine" / "names" / "uts39.json").read_text(encoding="utf-8")
    assert shipped == generate.render(generate.build())
    assert json.loads(shipped)["unicode_version"] == unicode_version() == "17.0.0"
    assert (REPO / "unicode" / "LICENSE").read_text().startswith("UNICODE LICENSE V3")


# -- what a name may hold ---------------------------------------------------------------------
ACCEPTED = [
    "सगरमाथा मानव संसाधन प्रा. लि.",  # Nepali
    "क्\u200dष मानव संसाधन",  # ZWJ after a virama: a half form
    "ශ්\u200dරී ලංකා",  # Sinhala: ZWJ after the al-lakuna
    "شركة الأمل للتوظيف",  # Arabic
    # Persian: ZWNJ between joining letters
    "کاریابی خانه\u200cهای ایران",  # noqa: RUF001
    "华联劳务派遣有限公司",  # Chinese
    "ヤマト人材サービス株式会社",  # Japanese
    "O'Neill & Partners, Ltd.",
    "=HYPERLINK(\"x\")",  # a formula is text here; the CSV writer neutralises it
    "葛\U000e0100飾 人材",  # an ideographic variation sequence (a selector after Han)
]


@pytest.mark.parametrize("name", ACCEPTED)
def test_names_in_every_script_are_kept_as_written(name: str) -> None:
    assert normalise_name(name) == name


def test_nfc_and_spaces() -> None:
    assert normalise_name(unicodedata.normalize("NFD", " Société\u00a0 Générale  ")) == "Société Générale"
    # NFC composes, and may lengthen (composition exclusions): the limit counts the result
    assert normalise_name("\u0915\u093c" * 3, max_length=6) == "\u0915\u093c" * 3
    with pytest.raises(NameRefused, match="at most 5 characters"):
        normalise_name("\u0958" * 3, max_length=5)  # DEVANAGARI LETTER QA is 2 in NFC


REFUSED = {
    "\u202eRewopnam": "U+202E RIGHT-TO-LEFT OVERRIDE (a bidirectional control",
    "Lotus\u202a Manpower\u202c": "U+202A LEFT-TO-RIGHT EMBEDDING",
    "\u2067Lotus\u2069": "U+2067 RIGHT-TO-LEFT ISOLATE",
    "Lotus\u200e": "U+200E LEFT-TO-RIGHT MARK",
    "\u061cشركة": "U+061C ARABIC LETTER MARK",
    "\u200b\u200b": "U+200B ZERO WIDTH SPACE (an invisible formatting character",
    "\u200c\u200d": "U+200C ZERO WIDTH NON-JOINER (a joiner where no script needs one",
    "Lo\u200dtus": "U+200D ZERO WIDTH JOINER (a joiner where no script needs one, at character 3)",
    # after a right-joining letter the non-joiner has no effect
    "دیوار\u200cها": "U+200C ZERO WIDTH NON-JOINER",  # noqa: RUF001
    "Lo\u00adtus": "U+00AD SOFT HYPHEN",
    "Lotus\ufeff": "U+FEFF ZERO WIDTH NO-BREAK SPACE",
    "Lotus\U000e0041": "U+E0041 TAG LATIN CAPITAL LETTER A",
    "Lotus\x00": "U+0000 (a control character",
    "Lotus\nManpower": "U+000A (a control character",
    "Lotus\u2029": "U+2029 PARAGRAPH SEPARATOR (a line break",
    "Lotus \ue000": "U+E000 (a private-use character",
    "Lotus \U000e0080": "not a character of Unicode",
    "\u3164": "U+3164 HANGUL FILLER (a filler drawn as nothing",
    "   ": "the name has no visible character",
    "\u00a0\u3000": "the name has no visible character",
    "\u0301\u0302": "the name has no visible character",
    "\ufe0f": "the name has no visible character",
    "": "the name has no visible character",
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_hidden_and_reordering_characters_are_refused(name: str) -> None:
    with pytest.raises(NameRefused) as refused:
        normalise_name(name)
    assert REFUSED[name] in str(refused.value)


def test_a_refusal_lists_a_few_characters_and_counts_the_rest() -> None:
    with pytest.raises(NameRefused) as refused:
        normalise_name("a\u200b\u200e\u202e\u2066\x07")
    assert str(refused.value).count("U+") == 3 and "and 2 more" in str(refused.value)


def test_clean_name_answers_422_at_the_pointer() -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_name("\u202e", "/organisation/name")
    assert refused.value.status == 422
    assert [e.pointer for e in refused.value.errors] == ["/organisation/name"]


# -- UTS #39 ---------------------------------------------------------------------------------
def test_skeletons_follow_uts39() -> None:
    assert skeleton("paypal") == skeleton("p\u0430yp\u0430l")  # Cyrillic a
    # all Cyrillic: a whole-script look-alike
    assert skeleton("scope") == skeleton("\u0455\u0441\u043e\u0440\u0435")
    assert skeleton("rn") == skeleton("m")
    assert skeleton("l") == skeleton("1") == skeleton("I") == skeleton("|")
    assert skeleton("Lo\u200dtus") == skeleton("Lotus")  # default-ignorables are dropped
    assert skeleton("Lotus") != skeleton("Lotos")


def test_scripts_and_default_ignorables() -> None:
    assert script_extensions("a") == {"Latn"} and script_extensions("\u043e") == {"Cyrl"}
    assert script_extensions("1") == {"Zyyy"} and script_extensions("\u0301") >= {"Latn", "Cyrl"}
    assert script_extensions("\U0010fffd") == {"Zzzz"}
    assert is_default_ignorable("\u200d") and is_default_ignorable("\u3164")
    assert not is_default_ignorable("a") and not is_default_ignorable(" ")
    assert resolved_script_set("Lotus") == {"Latn"}
    assert resolved_script_set("L\u043etus") == frozenset()  # mixed
    assert resolved_script_set("2026 - !") is None  # Common only: any script
    assert "Jpan" in (resolved_script_set("ヤマト人材") or ())  # Katakana and Han: Japanese
    assert "Kore" in (resolved_script_set("한국人力") or ())  # Hangul and Han: Korean


LOTUS = "Lotus Manpower Services"
LOOKS_LIKE_LOTUS = [
    "Lotus Manpower Services",  # the same
    "L\u043etus Manpower Services",  # Cyrillic o
    "LOTUS MANPOWER SERVICES",  # capitals
    "lotus manpower services",
    "L0tus Manpower Services",  # zero for o
    "Lotus Manpovver Servlces",  # small L for i (vv is not w in UTS #39: not both)
    "Lotus Rnanpower Services",  # rn for m
    "Lotus\u00a0Manpower  Services",  # other spaces
]


def _meet(a: str, b: str) -> bool:
    x, y = look_alike_digests(a), look_alike_digests(b)
    return x.exact == y.exact or x.folded == y.folded


@pytest.mark.parametrize("name", LOOKS_LIKE_LOTUS[:5] + LOOKS_LIKE_LOTUS[6:])
def test_look_alikes_meet(name: str) -> None:
    assert _meet(name, LOTUS)


@pytest.mark.parametrize("name", ["Lotus Global Staffing", "Lotus Manpower", "Lotus Services",
                                  "Manpower Services Lotus", "Iotus Manpower Services",
                                  "Lotus Manpovver Servlces"])
def test_names_that_only_share_words_do_not_meet(name: str) -> None:
    assert not _meet(name, LOTUS)


def test_keys_and_digests() -> None:
    keys = look_alike_keys("L\u043etus  Manpower")
    assert keys.exact == skeleton("Lotus Manpower") and keys.folded == skeleton("lotus manpower")
    digests = look_alike_digests("\ufdfa")  # one ligature whose skeleton is a phrase
    assert len(digests.exact) == len(digests.folded) == 64


def test_mixed_script_words() -> None:
    [word] = mixed_script_words("L\u043etus Manpower")
    assert word.word == "L\u043etus" and word.scripts == ("Cyrillic", "Latin")
    assert "mixes Cyrillic and Latin letters" in word.describe()
    for name in ["Himalaya मानव संसाधन", "شركة Al-Amal", "ヤマト人材", "Lotus-Manpower 2026",
                 "کاریابی خانه\u200cهای", "Société Générale"]:  # noqa: RUF001
        assert mixed_script_words(name) == [], name
    mixed = mixed_script_words("Sunr\u0456se Staffing \u0421ompany")
    assert [w.word for w in mixed] == ["Sunr\u0456se", "\u0421ompany"]

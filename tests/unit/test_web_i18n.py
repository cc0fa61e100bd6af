"""The public pages' languages: the catalogs are complete, a browser's language is understood,
and a link back never leaves the site."""

from __future__ import annotations

import pytest

from iris_engine.web.i18n import (
    AREAS,
    DEFAULT,
    LANGUAGES,
    catalog_path,
    extract,
    from_accept_language,
    missing_translations,
    read_catalog,
)
from iris_engine.web.pages.rendering import local_path


def test_every_catalog_translates_every_message_the_pages_use() -> None:
    problems = missing_translations()
    assert not problems, "\n".join(problems[:40]) + "\n(iris i18n update, translate, iris i18n check)"


def test_every_area_has_messages() -> None:
    for area in AREAS:
        assert len(extract(area)) > 3, area



def test_a_message_two_areas_share_reads_the_same_in_both() -> None:
    # the areas' catalogs merge into one per language, so one translation would silently win
    # (a footer link and the page it opens must say the same thing)
    for language in LANGUAGES:
        if language == DEFAULT:
            continue
        seen: dict[str, tuple[str, str]] = {}
        for area in AREAS:
            path = catalog_path(language, area)
            if not path.exists():
                continue
            for message in read_catalog(path, language):
                if not message.id or not message.string:
                    continue
                first = seen.setdefault(str(message.id), (area, str(message.string)))
                assert first[1] == message.string, (
                    f"{language}: {message.id!r} is {first[1]!r} in {first[0]} "
                    f"but {message.string!r} in {area}")


@pytest.mark.parametrize(("header", "expected"), [
    ("ne-NP,ne;q=0.9,en;q=0.5", "ne"),
    ("fr-FR,fr;q=0.9", None),
    ("fr;q=0.9,ar;q=0.8", "ar"),
    ("en;q=0.1,hi;q=0.9", "hi"),
    ("tl-PH", "fil"),
    ("bn;q=0,en", "en"),
    ("*", None),
    ("hi;q=abc,bn", "bn"),
    ("", None),
    (None, None),
])
def test_a_browser_language_is_the_first_we_speak(header: str | None, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_arabic_is_written_right_to_left() -> None:
    assert {c for c, lang in LANGUAGES.items() if lang.direction == "rtl"} == {"ar"}


@pytest.mark.parametrize(("target", "expected"), [
    ("/roster?q=acme", "/roster?q=acme"),
    ("/", "/"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("roster", "/"),
    ("/a\x00b", "/"),
    (None, "/"),
])
def test_a_link_back_stays_on_the_site(target: str | None, expected: str) -> None:
    assert local_path(target) == expected

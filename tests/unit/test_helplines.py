"""Helplines are data a deployment vets: a mistake in the file stops the start, with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from iris_engine.errors import ConfigurationError
from iris_engine.web.helplines import load_helplines


def test_the_packaged_list_is_a_demonstration_and_says_so() -> None:
    demo = load_helplines(None)
    assert demo.demonstration and demo.countries() == ["AE", "MY", "QA", "SA"]
    qatar = demo.for_country("QA")
    assert qatar[0].country == "QA" and qatar[-1].country == "*"
    assert [h.country for h in demo.for_country(None)] == ["*"]
    # fictional numbers only: +000 is no country's calling code
    assert all(h.phone and h.phone.startswith("+000") for h in demo.entries)


def test_a_vetted_list_is_read(tmp_path: Path) -> None:
    path = tmp_path / "lines.yaml"
    path.write_text("helplines:\n  - {country: NP, name: Line, url: 'https://line.example'}\n")
    lines = load_helplines(path)
    assert not lines.demonstration and lines.for_country("NP")[0].url == "https://line.example"


@pytest.mark.parametrize(("text", "says"), [
    ("helplines: {}", "'helplines' list"),
    ("helplines:\n  - {country: QT, name: X, phone: '1'}", "QT"),
    ("helplines:\n  - {country: QA, phone: '1'}", "needs a name"),
    ("helplines:\n  - {country: QA, name: X}", "phone number or a URL"),
    ("helplines:\n  - {country: QA, name: X, url: 'http://x.example'}", "https://"),
    ("helplines:\n  - {country: QA, name: X, phone: '1', fax: '2'}", "only"),
    ("helplines: [", "lines.yaml"),
])
def test_a_mistake_stops_the_start_with_its_place(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "lines.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=r"lines\.yaml") as raised:
        load_helplines(path)
    assert says in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"nowhere\.yaml"):
        load_helplines(tmp_path / "nowhere.yaml")

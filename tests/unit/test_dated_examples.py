"""Example self-assessments never go stale: dated for any day, every valid example still meets
its code and holds a licence valid that day (what ``submit`` needs), and ``iris codes example``
prints it."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from iris_engine.accreditation.hooks import valid_licences
from iris_engine.cli import main
from iris_engine.clock import utcnow
from iris_engine.documents import (
    CodeLibrary,
    CodeOfConduct,
    dated_example,
    example_names,
    examples_as_of,
)
from iris_engine.errors import NotFound, WorkflowDefinitionError

CODES = Path(__file__).resolve().parents[2] / "codes_of_conduct"
#: the day written for, today, a leap day, a day that is not a leap day in the example's years,
#: and a day long after every licence in the committed files has ended
DAYS = [None, "today", date(2028, 2, 29), date(2031, 3, 1), date(2100, 12, 31)]


@cache
def _library() -> CodeLibrary:
    return CodeLibrary(CODES)


def _examples() -> list[tuple[CodeOfConduct, str]]:
    return [(code, name) for code in _library() for name in example_names(code)]


def _day(code: CodeOfConduct, day: date | str | None) -> date:
    if day is None:
        return examples_as_of(code)
    return utcnow().date() if day == "today" else day  # type: ignore[return-value]


def _dates(node: Any, path: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        return {k: v for key, value in node.items() for k, v in _dates(value, f"{path}/{key}").items()}
    if isinstance(node, list):
        return {k: v for i, value in enumerate(node) for k, v in _dates(value, f"{path}/{i}").items()}
    return {path: node} if isinstance(node, str) else {}


def test_every_code_has_examples_to_date() -> None:
    assert _examples()
    assert {code.key for code, _ in _examples()} == {code.key for code in _library()}


@pytest.mark.parametrize("day", DAYS, ids=["as-of", "today", "leap-day", "2031", "2100"])
@pytest.mark.parametrize(("code", "name"), _examples(), ids=lambda x: getattr(x, "key", x))
def test_dated_example_is_valid_and_licensed_that_day(code: CodeOfConduct, name: str,
                                                      day: date | str | None) -> None:
    on = _day(code, day)
    document = dated_example(code, name, on)
    assert code.validate(document) == []
    assert valid_licences(document, on), f"{name} dated {on} holds no licence valid that day"


@pytest.mark.parametrize(("code", "name"), _examples(), ids=lambda x: getattr(x, "key", x))
def test_committed_example_is_the_example_dated_for_its_day(code: CodeOfConduct, name: str) -> None:
    """``examples_as_of`` is the day the files were written for: dated for that day, an example
    is the file unchanged (and its licences are valid then)."""
    path = code.folder / "examples" / "valid" / f"{name}.json"
    committed = json.loads(path.read_text(encoding="utf-8"))
    assert dated_example(code, name, examples_as_of(code)) == committed


def test_every_date_moves_by_the_same_days_and_nothing_else_changes() -> None:
    code = _library().get("iris-standard/1.2")
    name = "nepal-small-agency-np-qa"
    before = _dates(dated_example(code, name, examples_as_of(code)))
    after = _dates(dated_example(code, name, examples_as_of(code) + timedelta(days=1000)))
    assert before.keys() == after.keys()
    moved = {p for p in before if before[p] != after[p]}
    assert moved, "the example has dates"
    for pointer in moved:
        assert date.fromisoformat(after[pointer]) - date.fromisoformat(before[pointer]) \
            == timedelta(days=1000), pointer
    # a file name with a date in it is a name, not a date
    refs = [p for p in before if "2024" in before[p] and p not in moved]
    assert refs and all(before[p] == after[p] for p in refs)


def test_unknown_example_is_not_found_with_the_names_there_are() -> None:
    code = _library().get("iris-standard/1.2")
    with pytest.raises(NotFound, match="minimal-complete"):
        dated_example(code, "no-such-example", date(2030, 1, 1))


def test_a_manifest_without_its_day_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "iris-standard" / "1.2"
    shutil.copytree(CODES / "iris-standard" / "1.2", folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["examples_as_of"] = "September 2024"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    code = CodeOfConduct(folder)
    with pytest.raises(WorkflowDefinitionError, match="examples_as_of") as raised:
        dated_example(code, "minimal-complete", date(2030, 1, 1))
    assert "manifest.json" in str(raised.value)


def _iris(*args: str) -> Any:
    return CliRunner(env={"IRIS_CODES_DIR": str(CODES)}).invoke(main, list(args))


@pytest.mark.usefixtures("clean_environ")
def test_cli_prints_an_example_valid_on_the_day_asked() -> None:
    result = _iris("codes", "example", "iris-standard/1.2", "nepal-small-agency-np-qa",
                   "--on", "2033-05-17")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert _library().get("iris-standard/1.2").validate(document) == []
    assert valid_licences(document, date(2033, 5, 17))
    assert document["principles"]["A"]["countries_of_operation"] == ["NP", "QA"]


@pytest.mark.usefixtures("clean_environ")
def test_cli_example_defaults_to_today_and_the_first_example() -> None:
    result = _iris("codes", "example", "iris-standard/1.2")
    assert result.exit_code == 0, result.output
    code = _library().get("iris-standard/1.2")
    assert json.loads(result.output) == dated_example(code, example_names(code)[0], utcnow().date())


@pytest.mark.usefixtures("clean_environ")
def test_cli_lists_codes_and_examples_and_refuses_unknown_ones() -> None:
    listed = _iris("codes", "list")
    assert listed.exit_code == 0, listed.output
    assert "iris-standard/1.2  IRIS Standard" in listed.output
    assert "    nepal-small-agency-np-qa" in listed.output
    unknown = _iris("codes", "example", "iris-standard/1.2", "nope")
    assert unknown.exit_code == 1
    assert "no valid example 'nope'" in unknown.output and "minimal-complete" in unknown.output
    assert _iris("codes", "example", "iris-standard/9.9").exit_code == 1

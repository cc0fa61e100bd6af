"""The `iris` command line: its --help is the manual, and the offline commands work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from iris_engine.cli import main
from iris_engine.settings import Settings

WriteWorkflow = Callable[..., Path]
REPO = Path(__file__).resolve().parents[2]


def _walk(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                                              click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _walk(command, (*prefix, name))


COMMANDS = list(_walk(main))


def _ids(item: Any) -> str:
    return " ".join(item[0]) if isinstance(item, tuple) else str(item)


@pytest.fixture
def runner(clean_environ: None) -> CliRunner:
    return CliRunner()


def test_the_tree_has_the_expected_commands() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"settings", "serve", "db upgrade", "demo seed", "users add", "workflows check",
            "workflows diagram", "workflows upgrade", "audit verify"} <= names


def test_main_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in main.commands:
        assert name in result.output
    assert "IRIS_" in result.output


@pytest.mark.parametrize("item", COMMANDS, ids=_ids)
def test_every_command_has_help(runner: CliRunner, item: tuple[tuple[str, ...],
                                                               click.Command]) -> None:
    path, command = item
    help_text = (command.help or "").strip()
    assert help_text, f"`iris {' '.join(path)}` has no help text"
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    opening = " ".join(help_text.split()[:4])  # help is re-wrapped to the terminal
    assert opening in " ".join(result.output.split())
    if isinstance(command, click.Group):
        for sub in command.commands:
            assert sub in result.output


def test_settings_lists_every_variable(runner: CliRunner) -> None:
    result = runner.invoke(main, ["settings"])
    assert result.exit_code == 0
    for f in fields(Settings):
        assert f"IRIS_{f.name.upper()}" in result.output
    for _name, _default, doc in Settings.documented():
        assert doc.split(".")[0] in " ".join(result.output.split())


def test_workflows_check_on_the_bundled_folder(runner: CliRunner) -> None:
    result = runner.invoke(main, ["workflows", "check"])
    assert result.exit_code == 0, result.output
    assert "ok  accreditation v1" in result.stdout


def test_workflows_check_with_dir(runner: CliRunner) -> None:
    result = runner.invoke(main, ["workflows", "check", "--dir", str(REPO / "workflows")])
    assert result.exit_code == 0, result.output
    assert "accreditation" in result.stdout


def test_workflows_check_names_file_and_key_path(runner: CliRunner, write_workflow: WriteWorkflow,
                                                 workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"][1]["to"] = "nowhere"
    path = write_workflow(workflow_data, "broken/sample.yaml")
    result = runner.invoke(main, ["workflows", "check", "--dir", str(path.parent)])
    assert result.exit_code != 0
    assert str(path) in result.output
    assert "transitions[1].to" in result.output
    assert "ok " not in result.stdout


def test_workflows_check_reports_unresolved_hooks(runner: CliRunner,
                                                  write_workflow: WriteWorkflow,
                                                  workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"][0]["guards"] = ["no_such_guard"]
    path = write_workflow(workflow_data, "unresolved/sample.yaml")
    result = runner.invoke(main, ["workflows", "check", "--dir", str(path.parent)])
    assert result.exit_code != 0
    assert "no_such_guard" in result.stderr
    assert str(path) in result.stderr


def test_workflows_check_reports_an_unknown_access_scope(runner: CliRunner,
                                                       write_workflow: WriteWorkflow,
                                                       workflow_data: dict[str, Any]) -> None:
    workflow_data["access"]["manager"] = "no_such_scope"
    path = write_workflow(workflow_data, "scoped/sample.yaml")
    result = runner.invoke(main, ["workflows", "check", "--dir", str(path.parent)])
    assert result.exit_code != 0
    assert f"{path}: access.manager: scope 'no_such_scope'" in result.stderr


def test_workflows_check_on_a_missing_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["workflows", "check", "--dir", str(tmp_path / "absent")])
    assert result.exit_code != 0
    assert "absent" in result.output


def test_workflows_diagram(runner: CliRunner) -> None:
    result = runner.invoke(main, ["workflows", "diagram", "accreditation"])
    assert result.exit_code == 0, result.output
    assert "stateDiagram" in result.stdout
    for state in ("draft", "submitted", "accredited", "suspended", "withdrawn", "expired"):
        assert state in result.stdout


def test_workflows_diagram_of_an_unknown_workflow(runner: CliRunner) -> None:
    result = runner.invoke(main, ["workflows", "diagram", "no_such_workflow"])
    assert result.exit_code != 0
    assert "no_such_workflow" in result.output
    assert "stateDiagram" not in result.output


def test_unknown_setting_is_a_clean_error(clean_environ: None) -> None:
    result = CliRunner().invoke(main, ["workflows", "diagram", "accreditation"],
                                env={"IRIS_NO_SUCH_SETTING": "1"})
    assert result.exit_code != 0
    assert "IRIS_NO_SUCH_SETTING" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_short_secret_key_stops_the_command_line_cleanly(clean_environ: None) -> None:
    result = CliRunner().invoke(main, ["workflows", "diagram", "accreditation"],
                                env={"IRIS_SECRET_KEY": "too-short"})
    assert result.exit_code != 0
    assert "IRIS_SECRET_KEY" in result.output and "32" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(("flags", "logged"), [((), True), (("--no-access-log",), False)])
def test_serve_logs_each_request_unless_told_not_to(
        runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        flags: tuple[str, ...], logged: bool) -> None:
    import uvicorn

    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options, app=app))
    monkeypatch.chdir(tmp_path)  # the SQLite default, ./iris.db, is made there
    result = runner.invoke(main, ["serve", "--port", "8765", *flags])
    assert result.exit_code == 0, result.output
    assert started["app"] == "iris_engine.asgi:app" and started["port"] == 8765
    assert started["access_log"] is logged

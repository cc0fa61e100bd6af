"""A course's pass rules at their edges, and the staff CSV reader's refusals (no database)."""

from __future__ import annotations

import pytest

from iris_engine.errors import InvalidInput
from iris_engine.training.bulk import read_staff_csv
from iris_engine.training.models import Course
from iris_engine.training.rules import passes


def _course(threshold: int, active: int, pass_mark: int | None) -> Course:
    return Course(attendance_threshold=threshold, active_minutes=active, pass_mark=pass_mark)


@pytest.mark.parametrize(("minutes", "score", "expected"), [
    (144, None, True), (143, None, False), (180, None, True), (0, None, False)])
def test_attendance_threshold_without_a_check(minutes: int, score: int | None, expected: bool) -> None:
    assert passes(_course(80, 180, None), minutes, score) is expected


@pytest.mark.parametrize(("minutes", "score", "expected"), [
    (189, 70, True), (189, 69, False), (188, 100, False), (189, None, False)])
def test_pass_mark_and_attendance_both_count(minutes: int, score: int | None, expected: bool) -> None:
    assert passes(_course(90, 210, 70), minutes, score) is expected


def test_a_good_file_reads_in_any_column_order_with_a_bom_and_blank_lines() -> None:
    rows = read_staff_csv("\ufeffEmail, Sector ,NAME\r\nzoe@x.example,police,Zoë Ñúñez\r\n\r\n".encode())
    assert [(r.line, r.name, r.email, r.sector) for r in rows] == [
        (2, "Zoë Ñúñez", "zoe@x.example", "police")]


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "  =1+1"])
def test_formula_cells_are_refused(cell: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_staff_csv(f"name,email,sector\r\n\"{cell}\",a@x.example,police\r\n".encode())
    assert [e.pointer for e in refused.value.errors] == ["/line/2/name"]


def test_every_error_is_reported_at_once() -> None:
    body = "name,email,sector\n" + "".join(f"N{i},bad,police\n" for i in range(150))
    with pytest.raises(InvalidInput) as refused:
        read_staff_csv(body.encode())
    assert len(refused.value.errors) == 100 and refused.value.errors[0].pointer == "/line/2/email"
    assert "150 problem(s)" in refused.value.detail

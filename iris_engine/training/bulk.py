"""An organisation coordinator's CSV of staff to enrol: read and checked whole before anything
is enrolled, every problem reported with its line and column.

The file is UTF-8 (a byte-order mark is allowed), at most ``MAX_BYTES`` and ``MAX_ROWS`` rows,
with a header line naming the columns ``name``, ``email`` and ``sector`` (in any order, no
others). Errors point at ``/line/<n>/<column>`` (``n`` counts lines of the file from 1, the
header included) or at ``/line/<n>`` for a whole line. A cell that a spreadsheet would read as a
formula (starting with = + - @ or a control character) is refused: the names may be exported
again one day, and a learner named like a formula is a mistake or an attack."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from iris_engine import bounds
from iris_engine.errors import FieldError, InvalidInput
from iris_engine.training.schemas import SECTORS

__all__ = ["COLUMNS", "MAX_BYTES", "MAX_ROWS", "StaffRow", "read_staff_csv"]

COLUMNS = ("name", "email", "sector")
MAX_BYTES = 256 * 1024
MAX_ROWS = 1000
#: errors reported at most (a file wrong throughout needs no more to be fixed)
MAX_ERRORS = 100
_EMAIL = re.compile(rf"^[^@{bounds.BLANK}]+@[^@{bounds.BLANK}]+\.[^@{bounds.BLANK}]+$")
_SOME_TEXT = re.compile(bounds.SOME_TEXT)
_FORMULA_STARTS = frozenset("=+-@\t\r\n")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class StaffRow:
    line: int
    name: str
    email: str
    sector: str


def _text(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES // 1024} KiB: split it",
                           errors=[FieldError("/", f"at most {MAX_BYTES} bytes")])
    if b"\x00" in raw:
        raise InvalidInput("the file holds NUL bytes (is it UTF-16? save it as UTF-8 CSV)",
                           errors=[FieldError("/", "UTF-8 text without NUL")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InvalidInput("the file is not UTF-8 text (save it as UTF-8 CSV)",
                           errors=[FieldError(f"/line/{line}", "not UTF-8")]) from None


def _cell_errors(line: int, column: str, value: str) -> list[FieldError]:
    pointer = f"/line/{line}/{column}"
    if not value:
        return [FieldError(pointer, "required")]
    if _CONTROL.search(value):
        return [FieldError(pointer, "contains a control character")]
    if value[0] in _FORMULA_STARTS:
        return [FieldError(pointer, "must not start with = + - @ or a tab (it would be read as "
                           "a spreadsheet formula)")]
    if column == "name" and (len(value) > bounds.PERSON_NAME or not _SOME_TEXT.match(value)):
        return [FieldError(pointer, f"a name of at most {bounds.PERSON_NAME} characters")]
    if column == "email" and (len(value) > bounds.EMAIL or not _EMAIL.match(value)):
        return [FieldError(pointer, "an e-mail address")]
    if column == "sector" and value not in SECTORS:
        return [FieldError(pointer, f"one of: {', '.join(SECTORS)}")]
    return []


def read_staff_csv(raw: bytes) -> list[StaffRow]:
    """The rows, or ``InvalidInput`` listing every problem found (nothing is half read)."""
    text = _text(raw)
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InvalidInput(f"the file is not CSV: {exc}", errors=[FieldError("/", str(exc))]) from None
    if not lines or [c.strip().lower() for c in lines[0]] == [""]:
        raise InvalidInput("the file is empty", errors=[FieldError("/line/1", "a header line: "
                                                                  + ",".join(COLUMNS))])
    header = [c.strip().lower() for c in lines[0]]
    if sorted(header) != sorted(COLUMNS):
        raise InvalidInput("the header line must name the columns name, email and sector",
                           errors=[FieldError("/line/1", "columns: " + ",".join(COLUMNS))])
    if len(lines) - 1 > MAX_ROWS:
        raise InvalidInput(f"more than {MAX_ROWS} rows: split the file",
                           errors=[FieldError(f"/line/{MAX_ROWS + 2}", f"at most {MAX_ROWS} rows")])
    rows: list[StaffRow] = []
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line (a trailing one, often)
        if len(cells) != len(header):
            errors.append(FieldError(f"/line/{number}", f"{len(cells)} cells; the header has "
                                     f"{len(header)}"))
            continue
        values = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
        found = [e for column in COLUMNS for e in _cell_errors(number, column, values[column])]
        key = values["email"].lower()
        if not found and key in seen:
            found.append(FieldError(f"/line/{number}/email", f"the same address as line {seen[key]}"))
        seen.setdefault(key, number)
        errors += found
        if not found:
            rows.append(StaffRow(number, values["name"], values["email"], values["sector"]))
    if errors:
        raise InvalidInput(f"{len(errors)} problem(s) in the file; nobody was enrolled",
                           errors=errors[:MAX_ERRORS])
    if not rows:
        raise InvalidInput("the file names nobody", errors=[FieldError("/line/2", "a row")])
    return rows

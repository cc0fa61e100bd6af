"""The one CSV writer: no cell a spreadsheet would run, every value read back unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Mapping

import pytest

from iris_engine.web.csv_export import csv_chunks, neutralise, restore

CELLS = ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1+2", "\r=1+2", "\n=1+2", "'=1+2", "'", "''",
         "plain", "", "a=b", " =1+2", 'He said "hi", then ;=cmd|x', "line\nbreak", "नेपाल"]


@pytest.mark.parametrize("value", CELLS)
def test_neutralise_then_restore_is_the_value(value: str) -> None:
    cell = neutralise(value)
    assert not cell or cell[0] not in "=+-@\t\r\n"
    assert restore(cell) == value


def test_only_formula_starts_and_quotes_are_prefixed() -> None:
    assert neutralise("plain") == "plain" and neutralise("a=b") == "a=b"
    assert neutralise("-5") == "'-5" and neutralise("'x") == "''x"
    assert neutralise(None) == "" and neutralise(True) == "True" and neutralise(12) == "12"


async def _rows(rows: list[Mapping[str, object]]) -> AsyncIterator[Mapping[str, object]]:
    for row in rows:
        yield row


async def test_a_written_csv_reads_back_with_the_csv_module() -> None:
    rows: list[Mapping[str, object]] = [{"id": i, "name": value} for i, value in enumerate(CELLS)]
    text = "".join([chunk async for chunk in csv_chunks(["id", "name"], _rows(rows))])
    read = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [restore(r["name"]) for r in read] == CELLS
    assert all(not r["name"] or r["name"][0] not in "=+-@\t\r\n" for r in read)


async def test_large_exports_stream_in_chunks() -> None:
    rows: list[Mapping[str, object]] = [{"name": "=x" * 50} for _ in range(3000)]
    chunks = [chunk async for chunk in csv_chunks(["name"], _rows(rows))]
    assert len(chunks) > 1
    read = list(csv.reader(io.StringIO("".join(chunks), newline="")))
    assert len(read) == 3001 and read[1] == ["'" + "=x" * 50]

"""Every CSV the service writes, safe to open in a spreadsheet (OWASP, "CSV Injection").

Excel, LibreOffice and Google Sheets read a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab, a carriage return or a line feed as a formula (``=HYPERLINK(...)``, ``=cmd|...`` DDE). Such a
cell is written with a leading single quote, which those programs show as text. A cell that
already starts with a quote gets one too, so the rule is undone without ambiguity (``restore``:
drop the first character of a cell that starts with a quote). Every cell is quoted, so a
separator inside one (a comma, or the semicolon some locales split on) cannot start a new cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Mapping, Sequence

__all__ = ["FORMULA_STARTS", "csv_chunks", "neutralise", "restore"]

#: first characters a spreadsheet reads as the start of a formula
FORMULA_STARTS = frozenset("=+-@\t\r\n")
_QUOTE = "'"
#: how much a chunk of the stream holds before it is sent
_CHUNK_CHARS = 64_000


def neutralise(value: object) -> str:
    """The cell as text no spreadsheet runs: a quote before a formula start (or a quote)."""
    text = "" if value is None else str(value)
    if text and (text[0] in FORMULA_STARTS or text[0] == _QUOTE):
        return _QUOTE + text
    return text


def restore(cell: str) -> str:
    """The value a neutralised cell holds (for readers of our CSV)."""
    return cell[1:] if cell.startswith(_QUOTE) else cell


async def csv_chunks(fields: Sequence[str],
                     rows: AsyncIterator[Mapping[str, object]]) -> AsyncIterator[str]:
    """A header and one line per row (the ``fields`` of each), every cell neutralised and
    quoted, in chunks for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([neutralise(f) for f in fields])
    async for row in rows:
        writer.writerow([neutralise(row.get(f)) for f in fields])
        if buffer.tell() > _CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()

"""Anchors kept outside the database: a folder of one file per anchor, plus ``anchors.jsonl``
with one line (the public document) per anchor.

A file per anchor, written whole and renamed into place, is never seen half-written and
suits write-once storage (an object-locked bucket takes objects, not appends); the log line
is what a log shipper forwards. Old anchor files may be pruned: the latest one is what a
verification holds the trail to, and the ticker takes no new anchor over a trail that no
longer holds the last one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from iris_engine.audit.anchors import Anchor, AnchorError

__all__ = ["AnchorFolder", "read_anchor"]

LOG_NAME = "anchors.jsonl"
_FILE = re.compile(r"anchor-(\d{8,})-[0-9a-f]{12}\.json")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: heads written, and bytes of heads parsed, per call to ``json``: its C code holds the GIL
#: for a whole call, and an anchor file is written and read in a thread beside the event loop
#: that serves requests (a million heads are ~80 MB: 0.8 s in one ``json.loads``)
_HEADS_PER_PIECE = 5000
_BYTES_PER_PIECE = 1 << 19
_HEADS = b',"heads":['


def _record_pieces(anchor: Anchor) -> Iterator[bytes]:
    """The bytes of ``json.dumps(anchor.record(), separators=(",", ":"))``, a piece at a time:
    the document's members, then the heads (the record's last member)."""
    document = json.dumps(anchor.document(), separators=(",", ":")).encode()
    yield document[:-1] + _HEADS
    heads = anchor.heads
    for start in range(0, len(heads), _HEADS_PER_PIECE):
        piece = json.dumps(heads[start:start + _HEADS_PER_PIECE], separators=(",", ":"))
        yield (b"," if start else b"") + piece[1:-1].encode()
    yield b"]}"


def _parsed(raw: bytes) -> Any:
    """``json.loads(raw)`` with each head's array a tuple, read a piece at a time when ``raw``
    is laid out as ``_record_pieces`` writes it: the members before ``"heads"``, then the heads
    array cut between two heads (at ``],[``) every ``_BYTES_PER_PIECE`` bytes or so. A cut that
    fell inside a string leaves a piece that is no JSON, and any other layout (another order,
    spaces, a member after the heads) fails too: then the whole is read at once, so the answer
    (or the error) is always ``json.loads``'s. Tuples, because the cycle collector stops
    walking a tuple of numbers and text after its first pass, never a list (a million heads
    as lists made each full pass 20-110 ms longer while the anchor lived)."""
    at = raw.find(_HEADS)
    if at >= 0 and raw.endswith(b"]}"):
        try:
            data = json.loads(raw[:at] + b"}")
            if not isinstance(data, dict):
                raise ValueError("not the layout written")
            heads, start, last = [], at + len(_HEADS), len(raw) - 2  # the array's inside
            while start < last:
                cut = raw.find(b"],[", start + _BYTES_PER_PIECE, last)
                end = last if cut < 0 else cut + 1
                heads.extend(_tupled(json.loads(b"[" + raw[start:end] + b"]")))
                start = end + 1
            data["heads"] = heads
            return data
        except ValueError:
            pass
    data = json.loads(raw)
    if isinstance(data, dict) and isinstance(data.get("heads"), list):
        data["heads"] = _tupled(data["heads"])
    return data


def _tupled(heads: list[Any]) -> list[Any]:
    return [tuple(head) if type(head) is list else head for head in heads]


def read_anchor(path: Path) -> Anchor:
    """The anchor in file ``path``, or the latest in folder ``path``."""
    if path.is_dir():
        latest = AnchorFolder(path).latest()
        if latest is None:
            raise AnchorError(f"{path}: no anchor file (anchor-*.json) in this folder")
        return latest
    try:
        data = _parsed(path.read_bytes())
    except OSError as exc:
        raise AnchorError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError:
        raise AnchorError(f"{path}: not JSON (a truncated or altered anchor file?)") from None
    return Anchor.from_record(data, str(path))


class AnchorFolder:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, anchor: Anchor) -> Path:
        """Write the anchor's file (whole, then renamed into place) and append its line to the
        log; both reach the disk before this returns."""
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / f"anchor-{anchor.seq:08d}-{anchor.heads_digest[:12]}.json"
        partial = target.with_name(f".{target.name}.partial")
        with partial.open("wb") as out:
            out.writelines(_record_pieces(anchor))
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
        with (self.path / LOG_NAME).open("ab") as log:
            log.write(json.dumps(anchor.document(), sort_keys=True).encode() + b"\n")
            log.flush()
            os.fsync(log.fileno())
        _fsync_dir(self.path)
        return target

    def latest(self) -> Anchor | None:
        """The anchor with the highest number (the later of two that share one), or None."""
        if not self.path.is_dir():
            return None
        numbered = [(int(m.group(1)), p) for p in self.path.iterdir()
                    if (m := _FILE.fullmatch(p.name))]
        if not numbered:
            return None
        top = max(seq for seq, _ in numbered)
        found = [read_anchor(p) for seq, p in numbered if seq == top]
        return max(found, key=lambda a: a.taken_at)

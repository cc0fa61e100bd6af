"""An audit anchor's signature and digest: any change to a signed anchor is caught, and only
the key that signed it verifies it; its file, written and read a piece at a time, is what one
``json`` call would write and read."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iris_engine.audit import Anchor, AnchorError, AnchorFolder, AnchorSigner, Head, folder, read_anchor
from iris_engine.audit.anchors import heads_digest
from iris_engine.audit.signing import DEVELOPMENT_PUBLIC_KEY, generate_signing_key, key_id_of
from iris_engine.errors import ConfigurationError

SIGNING_KEY, PUBLIC_KEY = generate_signing_key()
HEADS = ((1, 7, "a" * 64), (2, 3, "b" * 64), (5, 12, "c" * 64))


def _anchor(seq: int = 4, heads: tuple[Head, ...] = HEADS, key: str = SIGNING_KEY) -> Anchor:
    signer = AnchorSigner(key)
    unsigned = Anchor(seq=seq, taken_at="2026-12-02T10:00:00.000000Z", cases=len(heads),
                      events=sum(seq for _, seq, _ in heads), heads_digest=heads_digest(heads),
                      key_id=signer.key_id, heads=heads)
    return dataclasses.replace(unsigned, signature=signer.sign(unsigned.signed_part()))


def test_a_signed_anchor_verifies_with_its_public_key() -> None:
    anchor = _anchor()
    assert anchor.check_signature([PUBLIC_KEY]) == PUBLIC_KEY
    assert Anchor.from_record(json.loads(json.dumps(anchor.record())), "file") == anchor


@pytest.mark.parametrize(("field", "value"), [
    ("seq", 5), ("taken_at", "2026-12-02T10:00:00.000001Z"), ("cases", 2), ("events", 21),
    ("heads_digest", "0" * 64), ("key_id", "0" * 16), ("signature", "A" * 86),
])
def test_any_change_to_a_signed_anchor_breaks_its_signature(field: str, value: object) -> None:
    altered = dataclasses.replace(_anchor(), **{field: value})
    with pytest.raises(AnchorError, match="not signed by a trusted key"):
        altered.check_signature([PUBLIC_KEY])


def test_another_key_does_not_verify_it() -> None:
    _, other = generate_signing_key()
    with pytest.raises(AnchorError, match="not signed by a trusted key"):
        _anchor().check_signature([other])
    assert _anchor().check_signature([other, PUBLIC_KEY]) == PUBLIC_KEY  # keys being rotated


def test_heads_taken_out_of_the_file_no_longer_give_its_digest() -> None:
    record = _anchor().record()
    record["heads"] = record["heads"][:-1]  # a deleted case, hidden from the anchor too
    with pytest.raises(AnchorError, match="do not add up"):
        Anchor.from_record(record, "anchor.json")
    record["cases"], record["events"] = 2, 10
    with pytest.raises(AnchorError, match="do not give its digest"):
        Anchor.from_record(record, "anchor.json")


@pytest.mark.parametrize(("heads", "refusal"), [
    ([[2, 3, "b" * 64], [1, 7, "a" * 64], [5, 12, "c" * 64]], "not one per case in case id"),
    ([[1, 7, "a" * 64], [1, 3, "b" * 64], [5, 12, "c" * 64]], "not one per case"),  # twice
    ([[1, 7, "a" * 64], [5, 12, "c" * 64], [5, 12, "c" * 64]], "not one per case"),
    ([[1, 7, "A" * 64], [2, 3, "b" * 64], [5, 12, "c" * 64]], "no SHA-256 digest"),
    ([[1, -1, "a" * 64], [2, 3, "b" * 64], [5, 12, "c" * 64]], "negative event number"),
])
def test_malformed_heads_are_refused(heads: list[list[object]], refusal: str) -> None:
    record = {**_anchor().record(), "heads": heads}
    with pytest.raises(AnchorError, match=refusal):
        Anchor.from_record(record, "anchor.json")


def test_the_digest_commits_to_each_head_and_their_number() -> None:
    digests = {heads_digest(HEADS), heads_digest(HEADS[:2]),
               heads_digest(((1, 8, "a" * 64), *HEADS[1:])),
               heads_digest(((1, 7, "d" * 64), *HEADS[1:])),
               heads_digest(((3, 7, "a" * 64), *HEADS[1:]))}
    assert len(digests) == 5


def test_the_folder_keeps_each_anchor_and_reads_the_latest(tmp_path: Path) -> None:
    folder = AnchorFolder(tmp_path / "anchors")
    assert folder.latest() is None
    first, second = _anchor(seq=1), _anchor(seq=2, heads=HEADS[:2])
    folder.write(first)
    path = folder.write(second)
    assert folder.latest() == second == read_anchor(path)
    assert read_anchor(tmp_path / "anchors") == second
    log = (tmp_path / "anchors" / "anchors.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in log] == [first.document(), second.document()]


def test_a_truncated_anchor_file_is_refused(tmp_path: Path) -> None:
    path = AnchorFolder(tmp_path).write(_anchor())
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(AnchorError, match="not JSON"):
        read_anchor(path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnchorError, match="no anchor file"):
        read_anchor(tmp_path / "empty")


def test_without_a_key_the_development_key_signs_and_says_so() -> None:
    signer = AnchorSigner("")
    assert signer.is_development and signer.public_key == DEVELOPMENT_PUBLIC_KEY
    assert signer.key_id == key_id_of(DEVELOPMENT_PUBLIC_KEY)
    assert not AnchorSigner(SIGNING_KEY).is_development


@pytest.mark.parametrize("setting", ["not base64!", "AAAA", SIGNING_KEY + "AAAA"],
                         ids=["not-base64", "too-short", "too-long"])
def test_a_malformed_signing_key_is_refused(setting: str) -> None:
    with pytest.raises(ConfigurationError, match="IRIS_ANCHOR_SIGNING_KEY"):
        AnchorSigner(setting)


# -- an anchor file is written and read a piece at a time ----------------------------------------
def _many(n: int) -> tuple[Head, ...]:
    return tuple((i * 3 + 1, i % 7, f"{i:064x}") for i in range(n))


@pytest.mark.parametrize("n", [0, 1, 2, 7, 8, 23])
def test_the_file_written_in_pieces_is_the_records_json(n: int, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Written ``_HEADS_PER_PIECE`` heads at a time (here 4), the file holds exactly the bytes
    one ``json.dumps`` of the record gives, and reads back (in pieces) as the anchor."""
    monkeypatch.setattr(folder, "_HEADS_PER_PIECE", 4)
    monkeypatch.setattr(folder, "_BYTES_PER_PIECE", 64)
    anchor = _anchor(heads=_many(n))
    path = AnchorFolder(tmp_path).write(anchor)
    raw = path.read_bytes()
    assert raw == json.dumps(anchor.record(), separators=(",", ":")).encode()
    parsed: list[int] = []  # the size of each text json parsed
    real_loads = json.loads
    monkeypatch.setattr(folder.json, "loads", lambda text: parsed.append(len(text)) or
                        real_loads(text))
    assert read_anchor(path) == anchor
    # the document, then pieces of about 64 bytes (a head is 75-80): never the whole file
    assert parsed[0] < 400 and all(size <= 64 + 2 * 80 for size in parsed[1:]), parsed
    assert len(parsed) == 1 + n, parsed


def _outcome(read: Any, raw: bytes) -> object:
    try:
        return read(raw)
    except ValueError as exc:
        return type(exc)


def _loads_with_tuples(raw: bytes) -> Any:
    """``json.loads``, each head's array a tuple: what ``folder._parsed`` answers."""
    data = json.loads(raw)
    if isinstance(data, dict) and isinstance(data.get("heads"), list):
        data["heads"] = [tuple(h) if isinstance(h, list) else h for h in data["heads"]]
    return data


@settings(max_examples=400, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(
    [b"", b",", b"]", b"[", b"],[", b'"', b"\\", b" ", b"1", b',"heads":[', b"]}", b"}"])),
    min_size=1, max_size=3), n=st.integers(min_value=0, max_value=12))
def test_a_file_read_in_pieces_reads_as_json_loads_reads_it(
        edits: list[tuple[int, bytes]], n: int) -> None:
    """Whatever was done to the file (a byte replaced by a bracket, a quote, a second heads
    key...), reading it in pieces answers what ``json.loads`` answers (the heads as tuples),
    or fails as it does."""
    raw = json.dumps(_anchor(heads=_many(n)).record(), separators=(",", ":")).encode()
    for at, text in edits:
        at %= len(raw)
        raw = raw[:at] + text + raw[at + 1:]
    original = folder._BYTES_PER_PIECE
    folder._BYTES_PER_PIECE = 16  # a cut every few heads (not a fixture: hypothesis reruns)
    try:
        assert _outcome(folder._parsed, raw) == _outcome(_loads_with_tuples, raw)
    finally:
        folder._BYTES_PER_PIECE = original

"""An anchor: a signed statement of every case's chain head at one moment.

The hash chains show an altered event, but not a chain cut short with its head rewound, nor a
case deleted whole: what is left still chains. An anchor, kept where whoever can write to the
database cannot, remembers each case's head (case id, last event number, its hash); a trail
that no longer holds one of them was cut. Its signed document is small and public (no
personal data: counts and a digest); the heads travel only in the anchor's file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from iris_engine.audit.signing import ALGORITHM, key_id_of, signature_holds
from iris_engine.errors import ApplicationError

__all__ = ["ANCHOR_TOPIC", "FORMAT", "Anchor", "AnchorError", "Head", "heads_digest"]

FORMAT = "iris-audit-anchor/1"
#: the outbox topic an anchor is published under, to webhook subscribers who asked for it
ANCHOR_TOPIC = "audit.anchor"
_HEAD = re.compile(r"(?:[0-9a-f]{64})?")


class AnchorError(ApplicationError):
    """An anchor cannot be taken or trusted: unreadable, inconsistent, or not signed by a key
    the verifier trusts."""

    title = "Audit anchor error"
    slug = "audit-anchor"


#: a case's chain head: (case id, its last event's number, that event's hash). A plain tuple,
#: not a class: an anchor holds one per case, and the cycle collector stops walking a tuple of
#: numbers and text after its first pass, never an instance (at 100,000 cases, each full pass
#: walked the heads for 30-50 ms, several per anchor, every request of the process waiting)
Head = tuple[int, int, str]


def heads_digest(heads: Sequence[Head]) -> str:
    """SHA-256 over the case count and one ``<case id> <seq> <hash>`` line per case, in case
    id order: what the signature commits to."""
    digest = hashlib.sha256(f"{FORMAT} {len(heads)}\n".encode())
    for case_id, seq, head in heads:
        digest.update(f"{case_id} {seq} {head}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    #: the moment the heads were read, as the audit chain writes times (UTC, ...Z)
    taken_at: str
    cases: int
    events: int
    heads_digest: str
    key_id: str
    signature: str = ""
    #: every case's head, in case id order; only the anchor's file carries them
    heads: tuple[Head, ...] = field(default=(), repr=False)

    def signed_part(self) -> bytes:
        """The bytes the signature covers: the document without its signature, as compact,
        key-sorted JSON."""
        body = {"format": FORMAT, "seq": self.seq, "taken_at": self.taken_at,
                "cases": self.cases, "events": self.events, "heads_digest": self.heads_digest,
                "algorithm": ALGORITHM, "key_id": self.key_id}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def document(self) -> dict[str, Any]:
        """What is published (the endpoint, the webhooks, the log): no heads, no personal data."""
        return {**json.loads(self.signed_part()), "signature": self.signature}

    def record(self) -> dict[str, Any]:
        """What the anchor's file holds: the document and the heads."""
        return {**self.document(), "heads": [list(h) for h in self.heads]}

    @classmethod
    def from_record(cls, data: Any, source: str) -> Anchor:
        """Read an anchor's file (parsed JSON); its heads must give its digest and counts."""
        try:
            if data.get("format") != FORMAT or data.get("algorithm") != ALGORITHM:
                raise AnchorError(f"{source}: not an {FORMAT} anchor signed with {ALGORITHM}")
            heads = tuple((int(c), int(s), str(h)) for c, s, h in data["heads"])
            anchor = cls(seq=int(data["seq"]), taken_at=str(data["taken_at"]),
                         cases=int(data["cases"]), events=int(data["events"]),
                         heads_digest=str(data["heads_digest"]), key_id=str(data["key_id"]),
                         signature=str(data["signature"]), heads=heads)
        except (AttributeError, KeyError, TypeError, ValueError):
            raise AnchorError(f"{source}: not a complete anchor (format, seq, taken_at, cases, "
                              "events, heads_digest, key_id, signature and heads)") from None
        problem = anchor._inconsistency()
        if problem:
            raise AnchorError(f"{source}: {problem}")
        return anchor

    def _inconsistency(self) -> str | None:
        # one per case in case id order: each id above the last (a loop, not sorted(set()),
        # whose C code would hold the GIL over a million ids: read in a thread beside requests)
        if not all(a[0] < b[0] for a, b in pairwise(self.heads)):
            return "its heads are not one per case in case id order"
        # a case with no event (revision 0) has an empty head, or the genesis hash
        if any(seq < 0 or not _HEAD.fullmatch(head) for _, seq, head in self.heads):
            return "a head has a negative event number or a hash that is no SHA-256 digest"
        if len(self.heads) != self.cases or sum(seq for _, seq, _ in self.heads) != self.events:
            return "its heads do not add up to its case and event counts"
        if heads_digest(self.heads) != self.heads_digest:
            return "its heads do not give its digest (the file was altered)"
        return None

    def check_signature(self, public_keys: Sequence[str]) -> str:
        """Answer the public key, among ``public_keys``, that signed this anchor; raise
        ``AnchorError`` when none did (the anchor was altered, or signed by another key)."""
        for public_key in public_keys:
            if key_id_of(public_key) == self.key_id and signature_holds(
                    public_key, self.signed_part(), self.signature):
                return public_key
        trusted = ", ".join(key_id_of(k) for k in public_keys) or "none"
        raise AnchorError(f"anchor {self.seq} is not signed by a trusted key (it names key "
                          f"{self.key_id}; trusted: {trusted}): it was altered or forged")

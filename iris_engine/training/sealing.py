"""Where each sealed value of training lives (the vault binds a ciphertext to its place, so a
value copied elsewhere does not open), and the keyed digest that finds a learner again by
e-mail without keeping the address."""

from __future__ import annotations

import hashlib
import hmac

from iris_engine.domain import SealedColumn
from iris_engine.training.certificates import CERTIFICATE_SEALED, certificate_name_place
from iris_engine.training.models import Learner

__all__ = ["SEALED", "certificate_name_place", "email_digest", "learner_place"]


def learner_place(learner_id: int, what: str) -> str:
    """``what`` is ``name`` or ``email``."""
    return f"training-learner:{learner_id}:{what}"


def email_digest(email: str, data_keys: str) -> str:
    """A keyed hash of the address (case and surrounding spaces ignored). The key is derived
    from the data keys, so the digest tells nothing to someone holding the table alone; a
    change of keys makes a returning learner a new one, which costs nothing but a second row."""
    key = hashlib.sha256(b"iris-training-learner-email\0" + data_keys.encode()).digest()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


#: what ``iris keys rotate`` re-seals for training
SEALED = (
    SealedColumn(Learner, "name_sealed", lambda row: learner_place(row.id, "name")),
    SealedColumn(Learner, "email_sealed", lambda row: learner_place(row.id, "email")),
    *CERTIFICATE_SEALED,
)

"""What a new password must be (NIST SP 800-63B 5.1.1.2, OWASP ASVS 2.1): long enough, not one
of the most common passwords, and not easily guessed, the account's own details included. No
composition rules (they make passwords harder to remember, not to guess).

The list and the estimate come from zxcvbn (the Python port of Dropbox's estimator, MIT): its
``passwords`` list is the 30,000 most frequent passwords of Mark Burnett's ten-million-password
corpus, and its matchers find dictionary words, names, keyboard walks, repeats, sequences,
dates and l33t spellings of all of them. Both run in memory, in about a millisecond: nothing is
sent anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from iris_engine import bounds

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "password_problem"]

MIN_PASSWORD_LENGTH = bounds.NEW_PASSWORD_MIN
MAX_PASSWORD_LENGTH = bounds.NEW_PASSWORD_MAX
#: zxcvbn's score 3: about 10^8 guesses or more, "safely unguessable" online and a fair
#: defence against an offline attack on a slow hash
_MIN_SCORE = 3
#: zxcvbn refuses longer input; a password this long is not guessed by its prefix anyway
_ESTIMATED_PREFIX = 72


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def _words(context: Iterable[str]) -> list[str]:
    """The account's details as zxcvbn's user inputs: each value, each part of it (the
    e-mail's local part and domain, words split at spaces, dots and hyphens), each word, and
    the words run together."""
    found: set[str] = set()
    for value in context:
        for part in value.strip().lower().split("@"):
            words = [w for w in re.split(r"[\s.\-_+]+", part) if len(w) > 2]
            found.update((part, *part.split("."), *words, "".join(words)))
    return sorted(w for w in found if w)


def password_problem(password: str, *, context: Iterable[str] = ()) -> str | None:
    """Why ``password`` may not be used, in words a person can act on; None when it may.
    ``context``: the account's e-mail, name and organisation, which a password must not be
    built on."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"at most {MAX_PASSWORD_LENGTH} characters"
    if password.casefold() in _common():
        return "one of the most common passwords, which are tried first: choose another"
    estimate = zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=_words(context))
    if estimate["score"] < _MIN_SCORE:
        warning = estimate["feedback"]["warning"].rstrip(".")
        return ("too easy to guess" + (f" ({warning[:1].lower()}{warning[1:]})" if warning else "")
                + ": a few unrelated words make a strong password")
    return None

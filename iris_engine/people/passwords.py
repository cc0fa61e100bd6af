"""The cost of password hashing (argon2id), chosen by ``IRIS_PASSWORD_HASH_PROFILE``.

Every hash records the parameters it was made with, so a hash made under one profile still
verifies under another: changing the profile changes only the cost of new hashes.
"""

from __future__ import annotations

import dataclasses

from argon2 import Parameters, PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from iris_engine.errors import ConfigurationError

__all__ = ["PASSWORD_HASH_PROFILES", "password_hasher"]

PASSWORD_HASH_PROFILES: dict[str, Parameters] = {
    # RFC 9106's second recommendation (t=3, 64 MiB, p=4), argon2-cffi's own default
    "rfc9106": RFC_9106_LOW_MEMORY,
    # the least argon2 allows (t=1, 8 KiB, p=1), still a full-length salt and hash: a test
    # suite creates and logs in thousands of users, and this makes each hash ~1000x cheaper.
    # Trivially brute-forced: never for real passwords
    "test": dataclasses.replace(RFC_9106_LOW_MEMORY, time_cost=1, memory_cost=8, parallelism=1),
}


def password_hasher(profile: str) -> PasswordHasher:
    """The hasher for a profile named in ``PASSWORD_HASH_PROFILES``."""
    parameters = PASSWORD_HASH_PROFILES.get(profile)
    if parameters is None:
        raise ConfigurationError(f"IRIS_PASSWORD_HASH_PROFILE={profile!r} is not a profile; "
                                 f"known: {', '.join(PASSWORD_HASH_PROFILES)}")
    return PasswordHasher.from_parameters(parameters)

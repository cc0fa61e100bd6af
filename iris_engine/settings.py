"""One Settings object, read from ``IRIS_*`` environment variables once, at start-up."""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from iris_engine.errors import ConfigurationError
from iris_engine.resources import default_codes_dir, default_workflows_dir

__all__ = ["MIN_SECRET_KEY_BYTES", "RATE_LIMIT_STORES", "Settings"]

#: HS256 keys shorter than the hash's output (RFC 7518, section 3.2) are refused
MIN_SECRET_KEY_BYTES = 32
RATE_LIMIT_STORES = ("database", "redis", "memory")


def _default_database_url() -> str:
    return "sqlite+aiosqlite:///" + str(Path("iris.db").resolve())


def _default_anchor_dir() -> Path:
    return Path("anchors").resolve()


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime configuration; every field maps to ``IRIS_<FIELD NAME IN CAPITALS>``."""

    database_url: str = field(
        default_factory=_default_database_url,
        metadata={"doc": "SQLAlchemy async URL. Default: SQLite file iris.db in the working "
                  "directory. PostgreSQL: postgresql+asyncpg://user@host/db"},
    )
    secret_key: str = field(
        default="",
        metadata={"doc": "Key that signs access tokens (HS256): at least 32 bytes, random "
                  "(python -c 'import secrets; print(secrets.token_urlsafe(32))'); a shorter "
                  "one is refused at start. Empty: a random key per process (a warning is "
                  "logged), so tokens do not survive a restart and fail on other workers: "
                  "only for development."},
    )
    token_ttl_seconds: int = field(
        default=3600, metadata={"doc": "Lifetime of an access token, in seconds."}
    )
    password_hash_profile: str = field(
        default="rfc9106",
        metadata={"doc": "Cost of hashing passwords (argon2id). rfc9106: RFC 9106's low-memory "
                  "profile (3 passes, 64 MiB, 4 lanes), for production. test: the least argon2 "
                  "allows (1 pass, 8 KiB, 1 lane), ~1000x cheaper and as cheap to brute-force: "
                  "only for test suites. A hash keeps the parameters it was made with, so "
                  "passwords still verify after a change."},
    )
    workflows_dir: Path = field(
        default_factory=default_workflows_dir,
        metadata={"doc": "Folder of workflow definitions (*.yaml)."},
    )
    codes_dir: Path = field(
        default_factory=default_codes_dir,
        metadata={"doc": "Folder of codes of conduct (<code>/<version>/manifest.json)."},
    )
    helplines_file: Path | None = field(
        default=None,
        metadata={"doc": "YAML list of helplines the public pages show, per destination "
                  "country (iris_engine/web/helplines.py describes the format). Empty: the "
                  "packaged demonstration list, whose numbers are fictional and shown as such: "
                  "set your vetted list before real use."},
    )
    roster_cache_seconds: float = field(
        default=1.0,
        metadata={"doc": "How long a process may serve roster pages before re-checking the "
                  "roster version in the database (0: check on every request). Writes made "
                  "by this process are visible at once."},
    )
    roster_export_seconds: float = field(
        default=300.0,
        metadata={"doc": "The roster's export (`/api/v1/roster/export`) is built once per roster "
                  "version and served from a file until the roster changes; while it keeps "
                  "changing, a process builds a new one at most every this many seconds and "
                  "serves the last one meanwhile (its ETag names the version, Last-Modified "
                  "when it was read). 0: a new one for each change."},
    )
    sqlite_busy_timeout_ms: int = field(
        default=5000, metadata={"doc": "SQLite busy_timeout, in milliseconds."}
    )
    db_pool_size: int = field(
        default=10, metadata={"doc": "PostgreSQL connections per process for transactions (up "
                              "to 10 more at peaks), and half as many for statements run alone."}
    )
    echo_sql: bool = field(default=False, metadata={"doc": "Log every SQL statement."})
    scheduler: bool = field(
        default=True,
        metadata={"doc": "Run the ticker (due timers, outbox delivery) inside `iris serve`. Turn "
                  "it off when separate `iris worker` processes do the ticking."},
    )
    tick_seconds: float = field(
        default=5.0, metadata={"doc": "How often the ticker looks for due timers and messages."}
    )
    claim_seconds: int = field(
        default=120,
        metadata={"doc": "How long a ticker's claim on a timer or message lasts. A claim left by "
                  "a process that died is taken over by another ticker after this."},
    )
    tick_batch: int = field(
        default=200, metadata={"doc": "Timers or messages one ticker claims at a time."}
    )
    public_url: str = field(
        default="http://localhost:8000",
        metadata={"doc": "Base URL of this service as the public reaches it (links in e-mails)."},
    )
    smtp_host: str = field(
        default="",
        metadata={"doc": "SMTP server for e-mail. Empty: e-mails wait in the outbox, unsent, "
                  "until a server is configured (`iris outbox list` shows them)."},
    )
    smtp_port: int = field(default=25, metadata={"doc": "SMTP port."})
    smtp_username: str = field(default="", metadata={"doc": "SMTP user name (empty: no login)."})
    smtp_password: str = field(default="", metadata={"doc": "SMTP password."})
    smtp_starttls: bool = field(default=False, metadata={"doc": "Upgrade SMTP with STARTTLS."})
    mail_from: str = field(
        default="IRIS Engine <no-reply@iris-engine.invalid>",
        metadata={"doc": "Sender of outgoing e-mail."},
    )
    outbox_max_attempts: int = field(
        default=10,
        metadata={"doc": "Delivery attempts before a message is dead-lettered "
                  "(`iris outbox retry` re-drives it)."},
    )
    outbox_backoff_seconds: float = field(
        default=30.0,
        metadata={"doc": "First retry delay; doubles with each attempt (with jitter), up to "
                  "IRIS_OUTBOX_BACKOFF_MAX_SECONDS."},
    )
    outbox_backoff_max_seconds: float = field(
        default=6 * 3600.0, metadata={"doc": "Longest delay between two delivery attempts."}
    )
    webhook_timeout_seconds: float = field(
        default=10.0, metadata={"doc": "Time a webhook receiver has to answer."}
    )
    webhook_allow_private: bool = field(
        default=False,
        metadata={"doc": "Allow webhooks to loopback, private and link-local addresses. Off by "
                  "default: anyone may subscribe, so the service must not be made to call "
                  "into its own network."},
    )
    webhook_verify_hours: float = field(
        default=24.0,
        metadata={"doc": "How long a new webhook subscription has to answer its challenge (a "
                  "signed webhook.verify POST whose data.challenge it must echo as "
                  "{\"challenge\": ...}). The challenge is retried with the outbox back-off "
                  "until then, beyond IRIS_OUTBOX_MAX_ATTEMPTS; unanswered, the subscription "
                  "expires. Nothing is sent to a webhook before it answers."},
    )

    data_keys: str = field(
        default="",
        metadata={"doc": "Keys that seal complainants' personal data (AES-256-GCM), as "
                  "id:base64key,id:base64key; the first seals new data, all open. Rotate by "
                  "putting a new key first and running `iris keys rotate`. Empty: a built-in "
                  "development key (a warning is logged): never for real complaints. "
                  "`iris keys generate` makes a key."},
    )
    grievance_retention_days: int = field(
        default=730,
        metadata={"doc": "Days after a grievance closes before the complainant's personal data "
                  "(identity, contact, narrative, messages, personal notes) is purged, unless a "
                  "legal hold is set. The rest stays for statistics."},
    )
    public_rate_limit_per_minute: int = field(
        default=10,
        metadata={"doc": "Requests per minute one client address may make to each public form "
                  "(grievance filing, registration, log-in, subscribing, verifying a training "
                  "certificate), counted in "
                  "IRIS_RATE_LIMIT_STORE."},
    )
    rate_limit_store: str = field(
        default="database",
        metadata={"doc": "Where the public forms' rate limits are counted. database: the "
                  "configured database, shared by every instance. redis: IRIS_REDIS_URL, "
                  "shared by every instance that uses it. memory: in each process (several "
                  "instances or workers then allow more than the limit)."},
    )
    redis_url: str = field(
        default="",
        metadata={"doc": "Redis URL (redis://host:6379/0) for IRIS_RATE_LIMIT_STORE=redis."},
    )
    login_max_failures: int = field(
        default=5,
        metadata={"doc": "Failed log-ins per account (and 4 times that per client address) "
                  "after which each failure makes the next log-in wait, 1 second at first, "
                  "doubling up to IRIS_LOGIN_BACKOFF_MAX_SECONDS; log-ins meanwhile answer 429 "
                  "with Retry-After. Counted whether or not the account exists."},
    )
    login_backoff_max_seconds: int = field(
        default=900,
        metadata={"doc": "Longest wait after failed log-ins: no one can lock an account for "
                  "longer by failing on purpose."},
    )
    login_failure_window_seconds: int = field(
        default=86400,
        metadata={"doc": "How long failed log-ins are counted from the first one; a successful "
                  "log-in clears the account's count."},
    )
    registration_confirm_seconds: int = field(
        default=172800,
        metadata={"doc": "How long a recruiter has to confirm its e-mail address after "
                  "registering (the account cannot log in before); an unconfirmed "
                  "registration may be made again after this."},
    )
    access_code_max_failures: int = field(
        default=5,
        metadata={"doc": "Wrong access codes allowed per grievance reference (and 4 times that "
                  "per client address) before further attempts answer 429."},
    )
    access_code_lockout_seconds: int = field(
        default=900,
        metadata={"doc": "How long failures are counted, and the lock-out after too many."},
    )

    anchor_signing_key: str = field(
        default="",
        metadata={"doc": "Ed25519 private key that signs audit anchors (base64url, 32 bytes); "
                  "a verifier needs only its public key (`iris audit public-key`, "
                  "GET /api/v1/audit/anchors/key). `iris audit generate-key` makes one. Empty: "
                  "a built-in development key (a warning is logged) whose signatures anyone "
                  "can forge: never in production."},
    )
    anchor_dir: Path = field(
        default_factory=_default_anchor_dir,
        metadata={"doc": "Folder the audit anchors are written to: one file per anchor (every "
                  "case's chain head) and anchors.jsonl (one line per anchor). Keep it out of "
                  "reach of whoever can write to the database (another disk or host, a "
                  "write-once bucket); `iris audit verify --anchor` checks the trail against "
                  "it."},
    )
    anchor_interval_seconds: float = field(
        default=3600.0,
        metadata={"doc": "How often the ticker takes an audit anchor (a signed digest of every "
                  "case's chain head). Deleting events or cases after an anchor shows against "
                  "it; what happens between two anchors is protected by the hash chains only. "
                  "0: no periodic anchor (`iris audit anchor` still takes one)."},
    )

    cpd_provider_reference: str = field(
        default="",
        metadata={"doc": "The training provider's CPD accreditation reference, printed on every "
                  "certificate issued from now on (and in its signed credential). Empty: "
                  "certificates say the provider has none."},
    )
    credential_issuer_name: str = field(
        default="IRIS Engine training",
        metadata={"doc": "The issuer's name in the signed certificates (verifiable credentials) "
                  "and on the printed ones: the organisation that delivers the training."},
    )
    credential_signing_key: str = field(
        default="",
        metadata={"doc": "Ed25519 private key that signs training certificates as verifiable "
                  "credentials and their status list (base64url, 32 bytes); its public key is "
                  "published at /.well-known/jwks.json. `iris keys generate-credential-key` "
                  "makes one. Empty: a built-in development key (a warning is logged) whose "
                  "signatures anyone can forge: never in production."},
    )
    credential_retired_public_keys: str = field(
        default="",
        metadata={"doc": "Public keys (base64url, comma-separated) of credential signing keys "
                  "replaced since: still published at /.well-known/jwks.json, so certificates "
                  "signed before a key rotation keep verifying. Add the old key's public half "
                  "(printed by `iris keys generate-credential-key`) when you replace "
                  "IRIS_CREDENTIAL_SIGNING_KEY."},
    )

    def __post_init__(self) -> None:
        if self.secret_key and len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            raise ConfigurationError(
                f"IRIS_SECRET_KEY is {len(self.secret_key.encode())} bytes; it must be at least "
                f"{MIN_SECRET_KEY_BYTES} random bytes (python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'), or empty for a development key per process")
        if self.rate_limit_store not in RATE_LIMIT_STORES:
            raise ConfigurationError(f"IRIS_RATE_LIMIT_STORE={self.rate_limit_store!r}; one of "
                                     f"{', '.join(RATE_LIMIT_STORES)}")
        if self.rate_limit_store == "redis" and not self.redis_url:
            raise ConfigurationError("IRIS_RATE_LIMIT_STORE=redis needs IRIS_REDIS_URL")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``IRIS_*`` variables; unknown or malformed values are errors."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        known = {f"IRIS_{f.name.upper()}": f for f in fields(cls)}
        for key, raw in env.items():
            if not key.startswith("IRIS_") or key.startswith("IRIS_TEST_"):
                continue
            spec = known.get(key)
            if spec is None:
                raise ConfigurationError(f"unknown setting {key}; known: {', '.join(sorted(known))}")
            values[spec.name] = _coerce(key, raw, spec.type)
        return cls(**values)  # type: ignore[arg-type]

    def signing_key(self) -> str:
        return self.secret_key or _PROCESS_KEY

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """(variable, default, doc) for every setting: the CLI and README list these."""
        out = []
        for f in fields(cls):
            default = f.default_factory() if callable(f.default_factory) else f.default
            out.append((f"IRIS_{f.name.upper()}", str(default), f.metadata.get("doc", "")))
        return out


_PROCESS_KEY = secrets.token_urlsafe(32)


def _coerce(key: str, raw: str, kind: object) -> object:
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if kind_name == "bool":
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if kind_name in ("int", "float"):
            # every number here is a count, a size or a duration: none is negative, and none
            # infinite or not a number (nan compares false, so a period of nan never ends)
            number = int(raw) if kind_name == "int" else float(raw)
            if not math.isfinite(number) or number < 0:
                raise ConfigurationError(f"{key}={raw!r} is not a valid {kind_name}: it must be "
                                         "a finite number, zero or more")
            return number
        if kind_name == "Path":
            return Path(raw)
        if kind_name == "Path | None":
            return Path(raw) if raw else None
    except ValueError:
        raise ConfigurationError(f"{key}={raw!r} is not a valid {kind_name}") from None
    return raw

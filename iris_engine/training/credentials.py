"""Certificates as verifiable credentials: an Open Badges 3.0 ``OpenBadgeCredential`` (a W3C
Verifiable Credential 2.0) secured as a JWT (``vc+jwt``, EdDSA over Ed25519), so that anyone
verifies it offline with a standard JOSE library and the public key published at
``/.well-known/jwks.json``. The key comes from IRIS_CREDENTIAL_SIGNING_KEY
(``iris_engine.signing_keys``: the same loader as the audit anchors' key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

import jwt

from iris_engine.errors import ConfigurationError
from iris_engine.signing_keys import b64decode, key_id_of, load_signing_key

if TYPE_CHECKING:
    from iris_engine.settings import Settings
    from iris_engine.training.models import Certificate, Course

__all__ = ["CONTEXT", "MEDIA_TYPE", "CredentialSigner", "Issuer", "credential_of",
           "status_list_url", "utc_text", "verification_url"]

#: the W3C VC 2.0 context, then Open Badges 3.0's
CONTEXT = ["https://www.w3.org/ns/credentials/v2",
           "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
#: a credential secured as a JWT (W3C VC-JOSE-COSE)
MEDIA_TYPE = "application/vc+jwt"
_TYP = "vc+jwt"
_ALGORITHM = "EdDSA"


@dataclass(frozen=True, slots=True)
class Issuer:
    """Who signs: its id is the service's public base URL."""

    id: str
    name: str

    @classmethod
    def of(cls, settings: Settings) -> Issuer:
        return cls(settings.public_url.rstrip("/"), settings.credential_issuer_name)

    def profile(self) -> dict[str, Any]:
        return {"id": self.id, "type": ["Profile"], "name": self.name}


def verification_url(public_url: str, number: str) -> str:
    """Where anyone checks a certificate: the credential's id, the PDF's QR code."""
    return f"{public_url.rstrip('/')}/api/v1/certificates/{number}/verification"


def status_list_url(public_url: str) -> str:
    """Where the signed revocation list is published."""
    return f"{public_url.rstrip('/')}/api/v1/certificates/status-list"


def utc_text(moment: datetime) -> str:
    """``2026-12-02T19:36:18Z``: a stored moment (naive ones are UTC), to the second."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(day: date, at: time) -> str:
    return utc_text(datetime.combine(day, at, tzinfo=UTC))


def _criteria(course: Course | None) -> str:
    if course is None:
        return "Completed the course."
    rule = (f"Attended at least {course.attendance_threshold}% of the "
            f"{course.active_minutes} minutes of active learning")
    if course.pass_mark is not None:
        rule += f" and scored at least {course.pass_mark}% in the knowledge check"
    return rule + "."


def credential_of(certificate: Certificate, course: Course | None, learner_name: str | None,
                  issuer: Issuer, public_url: str) -> dict[str, Any]:
    """The certificate as an OpenBadgeCredential. ``learner_name`` is None once erased: the
    credential then still says what was certified, to whom no longer."""
    status_list = status_list_url(public_url)
    hours = f"{certificate.cpd_hours:g}"
    reference = certificate.provider_reference or "none"
    achievement: dict[str, Any] = {
        "id": f"{issuer.id}/api/v1/training/courses/{certificate.course_key}",
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": certificate.course_title,
        "description": (f"{certificate.course_title}: {hours} CPD hours (1 point per hour of "
                        f"active learning), provider's CPD accreditation reference {reference}."),
        "criteria": {"narrative": _criteria(course)},
        "tag": list(certificate.topics),
        "creditsAvailable": certificate.cpd_hours,
        "otherIdentifiers": [{"type": "IdentifierEntry", "identifierType": "identifier",
                              "identifier": reference}],
        "cpdHours": certificate.cpd_hours,
        "cpdProviderReference": certificate.provider_reference,
    }
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": achievement,
                               "creditsEarned": certificate.cpd_hours}
    if learner_name is not None:
        subject["name"] = learner_name
        subject["identifier"] = [{"type": "IdentityObject", "identityType": "name",
                                  "hashed": False, "identityHash": learner_name}]
    credential: dict[str, Any] = {
        "@context": CONTEXT,
        "id": verification_url(public_url, certificate.id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.course_title,
        "issuer": issuer.profile(),
        "validFrom": utc_text(certificate.issued_at),
        "awardedDate": _moment(certificate.awarded_on, time(0, 0)),
        "credentialSubject": subject,
        "credentialStatus": {
            "id": f"{status_list}#{certificate.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(certificate.status_index),
            "statusListCredential": status_list,
        },
    }
    if certificate.valid_until is not None:
        credential["validUntil"] = _moment(certificate.valid_until, time(23, 59, 59))
    return credential


class CredentialSigner:
    """Secures credentials as JWTs with the credential signing key and publishes its JWKS."""

    def __init__(self, setting: str, retired: str = "") -> None:
        self._key = load_signing_key(setting, variable="IRIS_CREDENTIAL_SIGNING_KEY",
                                     make_one="iris keys generate-credential-key")
        self.key_id = self._key.key_id
        self.is_development = self._key.is_development
        #: public keys that signed before a rotation: verifiers still need them
        self._retired = [key for key in (k.strip() for k in retired.split(","))
                         if key and key != self._key.public_key]
        for key in self._retired:
            try:
                raw = b64decode(key)
            except ValueError:
                raw = b""
            if len(raw) != 32:
                raise ConfigurationError("IRIS_CREDENTIAL_RETIRED_PUBLIC_KEYS holds a value that "
                                         "is not a base64url Ed25519 public key of 32 bytes")

    def sign(self, credential: dict[str, Any]) -> str:
        """The compact JWS of ``credential``: the payload is the credential itself, with
        ``iss`` and ``jti`` repeating its issuer and id (VC-JOSE-COSE) and ``exp`` its end."""
        claims = {**credential, "iss": credential["issuer"]["id"], "jti": credential["id"]}
        if "validUntil" in credential:
            claims["exp"] = int(datetime.strptime(credential["validUntil"], "%Y-%m-%dT%H:%M:%SZ")
                                .replace(tzinfo=UTC).timestamp())
        return jwt.encode(claims, self._key.private, algorithm=_ALGORITHM,
                          headers={"kid": self.key_id, "typ": _TYP, "cty": "vc"})

    def jwks(self) -> dict[str, Any]:
        """The public key set verifiers fetch (RFC 7517; OKP keys, RFC 8037)."""
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": key, "kid": key_id_of(key),
                          "use": "sig", "alg": _ALGORITHM}
                         for key in (self._key.public_key, *self._retired)]}

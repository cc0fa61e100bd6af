"""Certificates, once issued: their public verification, the signed status list, and the
printed and signed copies their holders download.

Who may download a certificate: the learner (their link token, ``X-Learner-Token``), the
training coordinator, and the coordinator of the learner's organisation. Anyone else is told
exactly what is said of a number never issued (404): a download never confirms that a
certificate exists; the public verification does, on purpose, and without the e-mail.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import col

from iris_engine.domain import SealedColumn
from iris_engine.errors import NotFound
from iris_engine.training.certificate_schemas import CertificateVerification
from iris_engine.training.credentials import (
    CredentialSigner,
    Issuer,
    credential_of,
    status_list_url,
    verification_url,
)
from iris_engine.training.models import Certificate, Course, Learner
from iris_engine.training.numbers import PREFIX, is_well_formed, normalise
from iris_engine.training.pdf import PrintedCertificate, render_certificate
from iris_engine.training.status_list import status_list_credential

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases import Principal
    from iris_engine.clock import Clock
    from iris_engine.services import Services
    from iris_engine.settings import Settings
    from iris_engine.store.db import Database
    from iris_engine.vault import Vault

__all__ = [
    "CERTIFICATE_SEALED",
    "COORDINATOR",
    "ORGANISATION_COORDINATOR",
    "SERVICE_NAME",
    "Certificates",
    "Holder",
    "certificate_name_place",
    "link_token_digest",
    "provide_certificates",
]

#: the dependency name the certificate handlers ask for
SERVICE_NAME = "certificates"
COORDINATOR = "training_coordinator"
ORGANISATION_COORDINATOR = "organisation_coordinator"

_MISTYPED = (f"This is not a certificate number as we issue them ({PREFIX} then eleven letters "
             "and digits, the last a check character): look for a mistyped character.")
_NEVER_ISSUED = "No certificate with this number was issued here."
_NOT_YOURS = "no certificate with this number that you may read"


def certificate_name_place(number: str) -> str:
    """Where the learner's name on a certificate is sealed (the vault binds it to this)."""
    return f"training-certificate:{number}:name"


def link_token_digest(token: str) -> str:
    """What ``Learner.link_token_hash`` holds for a learner's link token."""
    return hashlib.sha256(token.encode()).hexdigest()


#: what the training DOMAIN adds to ``sealed`` (key rotation re-seals it)
CERTIFICATE_SEALED = (SealedColumn(Certificate, "learner_name_sealed",
                                   lambda row: certificate_name_place(row.id)),)


@dataclass(frozen=True, slots=True)
class Holder:
    """Who asks for a certificate's copies: an account, a learner's link token, or neither."""

    principal: Principal | None = None
    learner_token: str | None = None


def _day(moment: datetime) -> date:
    return (moment if moment.tzinfo is None else moment.astimezone(UTC)).date()


class Certificates:
    def __init__(self, db: Database, vault: Vault, settings: Settings, clock: Clock,
                 signer: CredentialSigner) -> None:
        self.db = db
        self.vault = vault
        self.settings = settings
        self.clock = clock
        self.signer = signer
        self.issuer = Issuer.of(settings)

    def _name(self, certificate: Certificate) -> str | None:
        if certificate.learner_name_sealed is None:
            return None
        name = self.vault.open(certificate.learner_name_sealed,
                               place=certificate_name_place(certificate.id))
        return str(name)

    async def verification(self, typed: str) -> CertificateVerification:
        """valid, expired, revoked or unknown: what anyone holding the number may know."""
        number = normalise(typed)
        if not is_well_formed(number):
            return CertificateVerification(number=number, status="unknown", hint=_MISTYPED)
        async with self.db.read() as session:
            certificate = await session.get(Certificate, number)
        if certificate is None:
            return CertificateVerification(number=number, status="unknown", hint=_NEVER_ISSUED)
        facts = CertificateVerification(
            number=number, status="valid", issuer=self.issuer.name,
            course_key=certificate.course_key, course_title=certificate.course_title,
            topics=list(certificate.topics), awarded_on=certificate.awarded_on,
            valid_until=certificate.valid_until, cpd_hours=certificate.cpd_hours,
            provider_reference=certificate.provider_reference)
        if certificate.revoked_at is not None:
            # no name: a certificate revoked for a corrected name would show the wrong one
            facts.status = "revoked"
            facts.revoked_on = _day(certificate.revoked_at)
            facts.superseded_by = certificate.superseded_by
            return facts
        if certificate.valid_until is not None and certificate.valid_until < _day(self.clock()):
            facts.status = "expired"
        facts.learner_name = self._name(certificate)
        facts.learner_name_erased = facts.learner_name is None
        return facts

    async def status_list(self) -> str:
        """The signed ``BitstringStatusListCredential``: a bit set for every revoked one."""
        async with self.db.read() as session:
            revoked = (await session.scalars(select(col(Certificate.status_index)).where(
                col(Certificate.revoked_at).is_not(None)))).all()
        url = status_list_url(self.settings.public_url)
        return self.signer.sign(status_list_credential(url, revoked, self.issuer, self.clock()))

    async def credential(self, typed: str, holder: Holder) -> str:
        """The signed OpenBadgeCredential (compact JWS), for its holder."""
        async with self.db.read() as session:
            certificate = await self._reachable(session, typed, holder)
            course = await session.get(Course, certificate.course_id)
        return self.signer.sign(credential_of(certificate, course, self._name(certificate),
                                              self.issuer, self.settings.public_url))

    async def pdf(self, typed: str, holder: Holder) -> bytes:
        """The printed certificate, for its holder."""
        async with self.db.read() as session:
            certificate = await self._reachable(session, typed, holder)
        return render_certificate(PrintedCertificate(
            number=certificate.id, learner_name=self._name(certificate),
            course_title=certificate.course_title, topics=tuple(certificate.topics),
            awarded_on=certificate.awarded_on, cpd_hours=certificate.cpd_hours,
            provider_reference=certificate.provider_reference,
            verification_url=verification_url(self.settings.public_url, certificate.id),
            issuer_name=self.issuer.name, valid_until=certificate.valid_until,
            revoked_on=_day(certificate.revoked_at) if certificate.revoked_at else None,
            superseded_by=certificate.superseded_by))

    async def _reachable(self, session: AsyncSession, typed: str, holder: Holder) -> Certificate:
        number = normalise(typed)
        certificate = await session.get(Certificate, number) if is_well_formed(number) else None
        if certificate is None or not await self._holds(session, certificate, holder):
            raise NotFound(_NOT_YOURS)
        return certificate

    @staticmethod
    async def _holds(session: AsyncSession, certificate: Certificate, holder: Holder) -> bool:
        principal = holder.principal
        if principal is not None:
            if COORDINATOR in principal.roles:
                return True
            if (ORGANISATION_COORDINATOR in principal.roles
                    and certificate.organisation_id is not None
                    and certificate.organisation_id == principal.organisation_id):
                return True
        if holder.learner_token:
            learner = await session.get(Learner, certificate.learner_id)
            digest = learner.link_token_hash if learner is not None else None
            return digest is not None and hmac.compare_digest(
                digest, link_token_digest(holder.learner_token))
        return False


def provide_certificates(services: Services) -> dict[str, object]:
    """What the training DOMAIN adds to ``provides``: the service its handlers ask for."""
    return {SERVICE_NAME: Certificates(
        services.db, services.vault, services.settings, services.clock,
        CredentialSigner(services.settings.credential_signing_key,
                         services.settings.credential_retired_public_keys))}

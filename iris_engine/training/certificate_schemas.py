"""What the public verification of a certificate answers."""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

__all__ = ["CertificateStatus", "CertificateVerification"]

#: valid; expired (past its valid_until); revoked (a name corrected, or withdrawn); unknown
CertificateStatus = Literal["valid", "expired", "revoked", "unknown"]


class CertificateVerification(msgspec.Struct, omit_defaults=True):
    """The certificate as anyone may check it. Never the learner's e-mail, nor why a
    certificate was revoked; the name only while the certificate stands and until it is erased."""

    #: the number as we read it (upper case, O, I and L as digits)
    number: str
    status: CertificateStatus
    #: for ``unknown``: whether the number is mistyped or simply not one of ours
    hint: str | None = None
    issuer: str | None = None
    course_key: str | None = None
    course_title: str | None = None
    topics: list[str] | None = None
    #: the day the training was delivered
    awarded_on: date | None = None
    valid_until: date | None = None
    cpd_hours: float | None = None
    provider_reference: str | None = None
    learner_name: str | None = None
    #: the records' retention period ended: the certificate was issued, to whom is no longer kept
    learner_name_erased: bool = False
    revoked_on: date | None = None
    #: the certificate that replaced this one (a corrected name)
    superseded_by: str | None = None

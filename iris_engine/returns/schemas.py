"""Shapes of a return case as the API shows it."""

from __future__ import annotations

from datetime import datetime

import msgspec

__all__ = ["ReturnView"]


class ReturnView(msgspec.Struct):
    """A return case without what identifies the survivor (``/identity`` opens that, recorded).
    What a role is shown beyond the stage follows its part and the survivor's consents
    (``returns.service``)."""

    id: int
    state: str
    revision: int
    reference: str
    nationality: str
    return_country: str
    age_group: str
    language: str
    in_danger: bool
    nrm_status: str
    assignee_id: int | None
    referrer_organisation_id: int | None
    source_case_id: int | None
    partner_organisation_id: int | None
    risk_outcome: str | None
    scheduled_departure_at: datetime | None
    scheduled_arrival_at: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    escalations: int
    enquiry_at: datetime
    ended_at: datetime | None
    legal_hold: bool
    #: the survivor's personal data was erased at the end of the retention period
    erased: bool

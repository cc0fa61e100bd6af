"""A domain that exists only in the tests: everything a new workflow needs, and nothing else
touched (the measure of DESIGN.md's promise). ``DOMAIN`` is declared as the shipped ones are."""

from __future__ import annotations

from pathlib import Path

from iris_engine.domain import CaseApi, Domain
from tests.sample_domain.hooks import hooks
from tests.sample_domain.models import Inquiry, SampleBase
from tests.sample_domain.service import InquiryController, InquiryService, InquiryView

__all__ = ["DOMAIN", "WORKFLOW_FILE", "Inquiry", "SampleBase"]

WORKFLOW_FILE = Path(__file__).with_name("inquiry.yaml")

DOMAIN = Domain(
    name="inquiries",
    hooks=hooks,
    cases=(CaseApi(InquiryService, path="/api/v1/inquiries", tag="inquiries", noun="Inquiry",
                   plural="Inquiries", view=InquiryView, routes=(InquiryController,)),),
    provides=lambda s: {"inquiries": InquiryService(s.db, s.engine)},
)

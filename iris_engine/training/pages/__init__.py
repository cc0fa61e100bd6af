"""Training's public page: checking a certificate by its number (``certificates``)."""

from __future__ import annotations

from pathlib import Path

from iris_engine.domain import PageArea
from iris_engine.training.pages import certificates

__all__ = ["PAGES"]

_HERE = Path(__file__).parent
_TEMPLATES = _HERE.parent / "templates"

PAGES = (
    PageArea("certificates", tuple(certificates.HANDLERS), _TEMPLATES,
             (_TEMPLATES / "certificates", _HERE / "certificates.py")),
)

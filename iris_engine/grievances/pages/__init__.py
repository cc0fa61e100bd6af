"""The grievance's public pages: filing a complaint (``complaint``) and following it
(``track``), declared to the site as two page areas (``PAGES``)."""

from __future__ import annotations

from pathlib import Path

from iris_engine.domain import PageArea
from iris_engine.grievances.pages import complaint, track

__all__ = ["PAGES"]

_HERE = Path(__file__).parent
_TEMPLATES = _HERE.parent / "templates"

PAGES = (
    PageArea("complaint", tuple(complaint.HANDLERS), _TEMPLATES,
             (_TEMPLATES / "complaint", _HERE / "complaint.py")),
    PageArea("track", tuple(track.HANDLERS), _TEMPLATES,
             (_TEMPLATES / "track", _HERE / "track.py")),
)

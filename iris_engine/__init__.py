"""IRIS Engine: accreditation, public roster and complaints for an ethical-recruitment scheme."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"

"""Documents checked against codes of conduct. Pure: no HTTP, no SQL."""

from __future__ import annotations

from iris_engine.documents.codes import CodeLibrary, CodeOfConduct, pointer_of

__all__ = ["CodeLibrary", "CodeOfConduct", "pointer_of"]

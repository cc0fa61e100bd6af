"""Documents checked against codes of conduct. Pure: no HTTP, no SQL."""

from __future__ import annotations

from iris_engine.documents.codes import CodeLibrary, CodeOfConduct, explain, pointer_of
from iris_engine.documents.examples import dated_example, example_names, examples_as_of

__all__ = [
           "CodeLibrary",
           "CodeOfConduct",
           "dated_example",
           "example_names",
           "examples_as_of",
           "explain",
           "pointer_of",
]

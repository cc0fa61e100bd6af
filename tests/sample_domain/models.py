"""The inquiry's detail table, on a metadata of its own: it ships with no migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from iris_engine.store.models import Case


class SampleBase(SQLModel, registry=registry()):
    pass


class Inquiry(SampleBase, table=True):
    __tablename__ = "sample_inquiry"

    case_id: int = Field(sa_column=Column(Integer, ForeignKey(Case.__table__.c.id),  # type: ignore[attr-defined]
                                          primary_key=True))
    question: str = Field(max_length=500)
    withdrawn: bool = False
    answered_at: datetime | None = None

"""Who personal data may go to (the authorities directory) and every read of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from iris_engine import bounds

__all__ = ["Authority", "PersonalDataRead"]


class Authority(SQLModel, table=True):
    """An authority cases can be referred to; its users belong to ``organisation_id``."""

    __tablename__ = "authority"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", unique=True)
    name: str = Field(max_length=bounds.ORGANISATION_NAME)
    countries: str = Field(max_length=400)  # space-separated ISO codes of its jurisdiction
    remits: str = Field(max_length=400)  # space-separated, e.g. trafficking licensing
    channel: str = Field(max_length=10)  # inbox | webhook
    webhook_url: str | None = Field(default=None, max_length=bounds.URL)
    webhook_secret_sealed: str | None = None
    active: bool = True
    created_at: datetime


class PersonalDataRead(SQLModel, table=True):
    """Every read of a person's sealed data (a complainant's identity, a narrative): in which
    case, by whom, in which role, why, on what basis."""

    __tablename__ = "personal_data_read"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    reader_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    reader_role: str = Field(max_length=30)
    purpose: str = Field(max_length=bounds.PURPOSE)
    basis: str = Field(max_length=50)  # assigned_caseworker | consent_refer | ...
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    at: datetime

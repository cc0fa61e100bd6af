"""Referrals and personal-data reads name their source case, of any workflow (issue #9)

A referral was tied to grievances (``referral.grievance_case_id``) and so was the record of
reads of personal data (``personal_data_read.grievance_case_id``); a return referral or any
other workflow now refers and records reads the same way. Data is kept: columns are renamed.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_RENAMES = [("referral", "grievance_case_id", "source_case_id"),
            ("personal_data_read", "grievance_case_id", "case_id")]


def _rename(table: str, old: str, new: str) -> None:
    # the index is made after the batch: inside it, SQLite's copy of the table does not know
    # the new column name yet
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(f"ix_{table}_{old}")
        batch_op.alter_column(old, new_column_name=new)
    op.create_index(f"ix_{table}_{new}", table, [new], unique=False)


def upgrade() -> None:
    for table, old, new in _RENAMES:
        _rename(table, old, new)


def downgrade() -> None:
    for table, old, new in _RENAMES:
        _rename(table, new, old)

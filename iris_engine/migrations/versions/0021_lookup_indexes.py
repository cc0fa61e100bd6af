"""Indexes for the look-ups that read a table whole (found by ``IRIS_TEST_EXPLAIN``, issue #14):

- ``app_user.confirmation_hash``: a recruiter confirming its address with the e-mailed token
  (a public request) had every account read to find the one waiting for it;
- ``training_enrolment.confirmation_hash``: likewise a learner confirming an enrolment;
- ``outbox_message.destination``: erasing a person's address from the outbox at the end of
  retention read every message ever queued, once per person erased.

Revision ID: 0021
Revises: 0020
"""
from __future__ import annotations

from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_INDEXES = [("app_user", "confirmation_hash"), ("training_enrolment", "confirmation_hash"),
            ("outbox_message", "destination")]


def upgrade() -> None:
    for table, column in _INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(_INDEXES):
        op.drop_index(f"ix_{table}_{column}", table_name=table)

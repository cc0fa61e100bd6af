"""One LRN per organisation, for good (issue #11)

``recruiter_reference`` holds the organisation's reference number, drawn once; a case that is
accredited copies it into ``accreditation.lrn``, which is no longer unique (a renewal, a
restoration and a new application after a withdrawal carry the same number).

Data: each organisation that already holds an LRN gets its reference, the earliest it was
given (by accreditation date, then case). An organisation given two LRNs before this release
keeps the later one on that case and on its roster entry as history (the audit trail records
it; nothing is rewritten); from now on it is given only its reference.

Revision ID: 0010
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None

#: how the unnamed unique constraint of 0001 is found on SQLite (the batch reflects the table)
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    op.create_table(
        'recruiter_reference',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('lrn', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
        sa.PrimaryKeyConstraint('organisation_id'),
        sa.UniqueConstraint('lrn'),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('accreditation', naming_convention=_NAMES) as batch_op:
        batch_op.drop_constraint('uq_accreditation_lrn' if sqlite else 'accreditation_lrn_key',
                                 type_='unique')
        batch_op.create_index(batch_op.f('ix_accreditation_lrn'), ['lrn'], unique=False)
    # the earliest LRN of each organisation becomes its reference
    op.execute("""
        INSERT INTO recruiter_reference (organisation_id, lrn, issued_at, case_id)
        SELECT c.organisation_id, a.lrn,
               COALESCE((SELECT MIN(e.created_at) FROM case_event e
                         WHERE e.case_id = c.id AND e.event = 'accredit'), c.updated_at),
               c.id
        FROM accreditation a JOIN case_file c ON c.id = a.case_id
        WHERE a.lrn IS NOT NULL AND c.organisation_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM accreditation a2 JOIN case_file c2 ON c2.id = a2.case_id
            WHERE a2.lrn IS NOT NULL AND c2.organisation_id = c.organisation_id
              AND (a2.accredited_on < a.accredited_on
                   OR (a2.accredited_on = a.accredited_on AND c2.id < c.id)))
    """)


def downgrade() -> None:
    with op.batch_alter_table('accreditation', naming_convention=_NAMES) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accreditation_lrn'))
        batch_op.create_unique_constraint(
            'uq_accreditation_lrn' if op.get_bind().dialect.name == "sqlite"
            else 'accreditation_lrn_key', ['lrn'])
    op.drop_table('recruiter_reference')

"""Personal notes of case events are sealed; chains re-hashed when clear notes get sealed (#10)

``case_event.note_sealed`` holds a personal note (what the person a case is about writes, or
staff write where the workflow marks the note personal) sealed by the vault with a salt, and
``note_commitment`` the sha256 of salt and note, which the audit chain hashes instead of the
text, so the purge can erase the note and key rotation re-seal it without breaking the chain.
``chain_rewrite`` records each chain recomputed when notes stored in clear before this upgrade
are sealed: that data step needs the data keys and the workflow files, so it runs after the
schema upgrade, in ``iris db upgrade`` (``iris_engine.cases.clear_notes``), not here.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_sealed', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
        batch_op.add_column(sa.Column('note_commitment',
                                      sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_table('chain_rewrite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_seq', sa.Integer(), nullable=False),
    sa.Column('old_head_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('new_head_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('chain_rewrite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chain_rewrite_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chain_rewrite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chain_rewrite_case_id'))
    op.drop_table('chain_rewrite')
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_column('note_commitment')
        batch_op.drop_column('note_sealed')

"""An accreditation's scope: corridors and sectors (issue #11, item 6)

``accreditation_scope`` keeps each case's corridors and sectors and an extension asked for;
``roster_corridor`` and ``roster_sector`` put the granted scope on the roster, indexed for its
search by origin, destination and sector. Accreditations granted before have no scope (their
recruiters may ask for an extension). ``roster_entry.countries`` grows to hold every
two-letter code (the corridors' countries join those of the self-assessment).

Revision ID: 0012
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None

_COUNTRIES_TEXT = 26 * 26 * 3 - 1  # bounds.COUNTRIES_TEXT


def upgrade() -> None:
    op.create_table('accreditation_scope',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('corridors', sa.JSON(), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.Column('extension', sa.JSON(), nullable=True),
    sa.Column('extension_requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.PrimaryKeyConstraint('case_id')
    )
    op.create_table('roster_corridor',
    sa.Column('lrn', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.ForeignKeyConstraint(['lrn'], ['roster_entry.lrn'], ),
    sa.PrimaryKeyConstraint('lrn', 'origin', 'destination')
    )
    with op.batch_alter_table('roster_corridor', schema=None) as batch_op:
        batch_op.create_index('ix_roster_corridor_destination', ['destination', 'lrn'], unique=False)
        batch_op.create_index('ix_roster_corridor_origin', ['origin', 'destination', 'lrn'],
                              unique=False)
    op.create_table('roster_sector',
    sa.Column('lrn', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sector', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.ForeignKeyConstraint(['lrn'], ['roster_entry.lrn'], ),
    sa.PrimaryKeyConstraint('lrn', 'sector')
    )
    with op.batch_alter_table('roster_sector', schema=None) as batch_op:
        batch_op.create_index('ix_roster_sector_lookup', ['sector', 'lrn'], unique=False)
    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        batch_op.alter_column('countries', existing_type=sqlmodel.sql.sqltypes.AutoString(length=400),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=_COUNTRIES_TEXT),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        batch_op.alter_column('countries',
                              existing_type=sqlmodel.sql.sqltypes.AutoString(length=_COUNTRIES_TEXT),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=400),
                              existing_nullable=False)
    with op.batch_alter_table('roster_sector', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_sector_lookup')
    op.drop_table('roster_sector')
    with op.batch_alter_table('roster_corridor', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_corridor_origin')
        batch_op.drop_index('ix_roster_corridor_destination')
    op.drop_table('roster_corridor')
    op.drop_table('accreditation_scope')

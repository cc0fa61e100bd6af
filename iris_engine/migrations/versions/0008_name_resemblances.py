"""Names that may pass for another recruiter's (issue #10, item 4)

``roster_entry.skeleton_digest`` and ``folded_skeleton_digest`` index each roster name by its
look-alike keys (UTS #39 skeletons; ``iris_engine.names.look_alike_digests``), filled here for
the entries already listed. ``name_resemblance`` keeps what was found when a recruiter registered or
submitted an application, for the scheme manager.

Revision ID: 0008
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from iris_engine.names import look_alike_digests

revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None

_DIGESTS = ('skeleton_digest', 'folded_skeleton_digest')


def upgrade() -> None:
    op.create_table('name_resemblance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('found_on', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('resembles_lrn', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('resembles_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('found_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('name_resemblance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_name_resemblance_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_name_resemblance_organisation_id'), ['organisation_id'],
                              unique=False)

    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        for column in _DIGESTS:
            batch_op.add_column(sa.Column(column, sqlmodel.sql.sqltypes.AutoString(length=64),
                                          nullable=True))
    # the keys come from Python (the Unicode security data), one entry at a time
    roster = sa.table('roster_entry', sa.column('lrn', sa.String()), sa.column('name', sa.String()),
                      *(sa.column(column, sa.String()) for column in _DIGESTS))
    connection = op.get_bind()
    for lrn, name in connection.execute(sa.select(roster.c.lrn, roster.c.name)).all():
        digests = look_alike_digests(name)
        connection.execute(roster.update().where(roster.c.lrn == lrn).values(
            skeleton_digest=digests.exact, folded_skeleton_digest=digests.folded))
    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        for column in _DIGESTS:
            batch_op.alter_column(column, existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                                  nullable=False)
            batch_op.create_index(batch_op.f(f'ix_roster_entry_{column}'), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        for column in _DIGESTS:
            batch_op.drop_index(batch_op.f(f'ix_roster_entry_{column}'))
            batch_op.drop_column(column)
    with op.batch_alter_table('name_resemblance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_name_resemblance_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_name_resemblance_case_id'))
    op.drop_table('name_resemblance')

"""Who holds a role, indexed (issue #14): ``user_role`` has one row per role an account holds,
so the people a role reaches on a case (the caseworkers told of every filing, the scheme
managers of every suspension) are read from an index. Before, each was found by matching
``roles LIKE '%caseworker%'`` against every account: a scan whose cost grew with the number of
accounts (2 ms a filing on SQLite at 20,000 accounts, most of them recruiters' staff).

``app_user.roles`` stays what the app reads and writes (space-separated role names); the
database files them: a trigger on every insert into ``app_user`` and on every change of its
``roles``, whoever writes it (the app, ``iris users``, a seed, an operator's SQL), so the index
cannot fall out of step. Role names are identifiers (``^[a-z][a-z0-9_]*$``, the workflow
format's), which SQLite's trigger splits as a JSON array.

The triggers' text is the models' (``iris_engine.store.models.USER_ROLE_TRIGGERS``), which
``metadata.create_all`` makes too. Note for later migrations: SQLite's ``batch_alter_table`` on
``app_user`` copies the table and drops its triggers; such a migration makes them again.

Revision ID: 0020
Revises: 0019
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from iris_engine.store.models import USER_ROLE_TRIGGERS, sqlite_roles_of

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


#: each account's roles filed once, at the upgrade; the triggers file every later write
_BACKFILL = {
    "sqlite": "INSERT OR IGNORE INTO user_role(role, user_id) SELECT r.value, u.id"
              f" FROM app_user u, {sqlite_roles_of('u')} r WHERE r.value <> ''",
    "postgresql": "INSERT INTO user_role(role, user_id) SELECT DISTINCT r, u.id"
                  " FROM app_user u, unnest(string_to_array(u.roles, ' ')) r WHERE r <> ''",
}


def upgrade() -> None:
    op.create_table('user_role',
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role', 'user_id')
    )
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_role_user_id'), ['user_id'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in (_BACKFILL[dialect], *USER_ROLE_TRIGGERS[dialect]):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER user_role_filed ON app_user")
        op.execute("DROP FUNCTION user_role_filed()")
    else:
        op.execute("DROP TRIGGER user_role_filed")
        op.execute("DROP TRIGGER user_role_refiled")
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_role_user_id'))
    op.drop_table('user_role')

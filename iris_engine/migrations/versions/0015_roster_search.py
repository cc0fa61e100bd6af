"""Roster search that stays fast to a million entries (issue #14): a trigram index over the
names (PostgreSQL: pg_trgm GIN; SQLite: an FTS5 trigram table kept in step by triggers), and
``roster_country`` carries the entry's sort key so a search by country reads its page in roster
order from one index.

The FTS5 table ``roster_search`` indexes ``roster_entry.name_key`` by ``case_id`` (external
content: it stores no copy of the names). Its triggers live on ``roster_entry``: a later
migration that rebuilds that table on SQLite (``batch_alter_table`` with a table copy) must
create them again. Neither index is a model (``iris_engine.migrations.include_name`` keeps them
out of the model comparison).

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE roster_search USING fts5(name_key, content='roster_entry', "
    "content_rowid='case_id', tokenize='trigram')",
    "CREATE TRIGGER roster_search_insert AFTER INSERT ON roster_entry BEGIN"
    " INSERT INTO roster_search(rowid, name_key) VALUES (new.case_id, new.name_key); END",
    "CREATE TRIGGER roster_search_delete AFTER DELETE ON roster_entry BEGIN"
    " INSERT INTO roster_search(roster_search, rowid, name_key)"
    " VALUES ('delete', old.case_id, old.name_key); END",
    "CREATE TRIGGER roster_search_update AFTER UPDATE OF name_key, case_id ON roster_entry"
    " WHEN old.name_key IS NOT new.name_key OR old.case_id IS NOT new.case_id BEGIN"
    " INSERT INTO roster_search(roster_search, rowid, name_key)"
    " VALUES ('delete', old.case_id, old.name_key);"
    " INSERT INTO roster_search(rowid, name_key) VALUES (new.case_id, new.name_key); END",
    "INSERT INTO roster_search(roster_search) VALUES ('rebuild')",
]


def upgrade() -> None:
    with op.batch_alter_table('roster_country', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=300),
                                      nullable=True))
    op.execute("UPDATE roster_country SET name_key = (SELECT e.name_key FROM roster_entry e"
               " WHERE e.lrn = roster_country.lrn)")
    with op.batch_alter_table('roster_country', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=300),
                              nullable=False)
        batch_op.drop_index('ix_roster_country_lookup')
        batch_op.create_index('ix_roster_country_sort', ['country', 'name_key', 'lrn'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_roster_name_trgm ON roster_entry"
                   " USING gin (name_key gin_trgm_ops)")
    else:
        for statement in _SQLITE_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_roster_name_trgm")
    else:
        for trigger in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER roster_search_{trigger}")
        op.execute("DROP TABLE roster_search")
    with op.batch_alter_table('roster_country', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_country_sort')
        batch_op.create_index('ix_roster_country_lookup', ['country', 'lrn'], unique=False)
        batch_op.drop_column('name_key')

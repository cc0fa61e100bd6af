"""Roster search by name within a country or a status stays flat to a million entries (issue
#14): the trigram indexes are partitioned by the filters, so a fragment asked in one country
(or with one status) reads the names of that country (status) only, not every name that holds
the fragment and then each one's country.

SQLite: the FTS5 tables file each name under a rowid whose high bits are its partition and
whose low 32 bits are the entry's case id (``iris_engine.roster.search`` computes the same
keys): ``roster_search`` (an entry's name, by status) replaces 0015's table of the same name,
and ``roster_country_search`` holds one row per ``roster_country`` row (by country and the
entry's status). A rowid range is one partition; FTS5 seeks to it in every trigram's list.
Both tables keep their own copy of each name and its LRN (a search then orders the names it
found without reading an entry, and a row is deleted by its rowid alone, so a trigger can
never corrupt the index by naming old text wrongly) and no positions (``detail=none``: the
search asks for single trigrams only) nor column sizes (``columnsize=0``: nothing ranks by
them; each write is a table lighter). Triggers on ``roster_entry`` and
``roster_country`` keep them in step with every write, whoever makes it.

PostgreSQL: the trigram GIN indexes take the filters as their first columns (``btree_gin``):
``roster_entry (status, name_key)`` and ``roster_country (country, status, name_key)``; a
bitmap scan intersects the filters' entries with the trigrams' before any row is read.

``roster_country`` carries its entry's status (as it carries its sort key), so a search by
country and status needs no entry to filter on, and walks ``ix_roster_country_status_sort``
in roster order. The database keeps it: a country row takes its entry's status when it is
written, and a change of an entry's status reaches its country rows (triggers on both
databases), whoever writes them.

Revision ID: 0018
Revises: 0017
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

#: a public status's place in a partition (anything else: 7, which no search asks for)
_STATUS = ("(CASE {s} WHEN 'accredited' THEN 0 WHEN 'suspended' THEN 1 WHEN 'withdrawn' THEN 2"
           " WHEN 'expired' THEN 3 ELSE 7 END)")
#: a two-letter country code's number: each letter's code point modulo 1024, ten bits each
_COUNTRY = ("((coalesce(unicode(substr({c}, 1, 1)), 0) % 1024) * 1024"
            " + coalesce(unicode(substr({c}, 2, 1)), 0) % 1024)")
_CASE = 4294967296  # 2**32: case ids (at most 2**31 - 1) take the low 32 bits


def _entry_key(s: str, case_id: str) -> str:
    return f"({_STATUS.format(s=s)} * {_CASE} + {case_id})"


def _country_key(c: str, s: str, case_id: str) -> str:
    return f"(({_COUNTRY.format(c=c)} * 8 + {_STATUS.format(s=s)}) * {_CASE} + {case_id})"


_OLD_ENTRY = _entry_key("old.status", "old.case_id")
_NEW_ENTRY = _entry_key("new.status", "new.case_id")

#: a country row's status is its entry's (0018 adds the column; the projection writes it too)
_SQLITE_STATUS = [
    "CREATE TRIGGER roster_country_status_insert AFTER INSERT ON roster_country BEGIN"
    " UPDATE roster_country SET status = (SELECT e.status FROM roster_entry e"
    " WHERE e.lrn = new.lrn) WHERE lrn = new.lrn AND country = new.country; END",
    "CREATE TRIGGER roster_country_status AFTER UPDATE OF status ON roster_entry"
    " WHEN old.status IS NOT new.status BEGIN"
    " UPDATE roster_country SET status = new.status WHERE lrn = new.lrn; END",
]
_POSTGRES_STATUS = [
    "CREATE FUNCTION roster_country_takes_status() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN NEW.status := coalesce((SELECT e.status FROM roster_entry e"
    " WHERE e.lrn = NEW.lrn), NEW.status); RETURN NEW; END $$",
    "CREATE TRIGGER roster_country_takes_status BEFORE INSERT OR UPDATE OF lrn"
    " ON roster_country FOR EACH ROW EXECUTE FUNCTION roster_country_takes_status()",
    "CREATE FUNCTION roster_entry_gives_status() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN UPDATE roster_country SET status = NEW.status WHERE lrn = NEW.lrn;"
    " RETURN NULL; END $$",
    "CREATE TRIGGER roster_entry_gives_status AFTER UPDATE OF status ON roster_entry"
    " FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)"
    " EXECUTE FUNCTION roster_entry_gives_status()",
]

_SQLITE_UP = [
    "DROP TRIGGER roster_search_insert",
    "DROP TRIGGER roster_search_delete",
    "DROP TRIGGER roster_search_update",
    "DROP TABLE roster_search",
    "CREATE VIRTUAL TABLE roster_search USING fts5(name_key, lrn UNINDEXED, tokenize='trigram',"
    " detail='none', columnsize=0)",
    "CREATE VIRTUAL TABLE roster_country_search USING fts5(name_key, lrn UNINDEXED,"
    " tokenize='trigram', detail='none', columnsize=0)",
    f"INSERT INTO roster_search(rowid, name_key, lrn) SELECT {_entry_key('status', 'case_id')},"
    " name_key, lrn FROM roster_entry",
    "INSERT INTO roster_country_search(rowid, name_key, lrn)"
    f" SELECT {_country_key('c.country', 'e.status', 'e.case_id')}, c.name_key, c.lrn"
    " FROM roster_country c JOIN roster_entry e ON e.lrn = c.lrn",
    # an entry: its name by status
    "CREATE TRIGGER roster_search_insert AFTER INSERT ON roster_entry BEGIN"
    f" INSERT INTO roster_search(rowid, name_key, lrn) VALUES ({_NEW_ENTRY}, new.name_key,"
    " new.lrn); END",
    "CREATE TRIGGER roster_search_delete AFTER DELETE ON roster_entry BEGIN"
    f" DELETE FROM roster_search WHERE rowid = {_OLD_ENTRY}; END",
    "CREATE TRIGGER roster_search_update AFTER UPDATE OF name_key, case_id, status"
    " ON roster_entry WHEN old.name_key IS NOT new.name_key OR old.case_id IS NOT new.case_id"
    " OR old.status IS NOT new.status BEGIN"
    f" DELETE FROM roster_search WHERE rowid = {_OLD_ENTRY};"
    f" INSERT INTO roster_search(rowid, name_key, lrn) VALUES ({_NEW_ENTRY}, new.name_key,"
    " new.lrn); END",
    # its countries' rows move partition with its status (and its case id)
    "CREATE TRIGGER roster_country_search_refile AFTER UPDATE OF case_id, status ON roster_entry"
    " WHEN old.case_id IS NOT new.case_id OR old.status IS NOT new.status BEGIN"
    " DELETE FROM roster_country_search WHERE rowid IN"
    f" (SELECT {_country_key('c.country', 'old.status', 'old.case_id')}"
    " FROM roster_country c WHERE c.lrn = old.lrn);"
    " INSERT INTO roster_country_search(rowid, name_key, lrn)"
    f" SELECT {_country_key('c.country', 'new.status', 'new.case_id')}, c.name_key, c.lrn"
    " FROM roster_country c WHERE c.lrn = new.lrn; END",
    # a country of an entry: the entry's name in that country, by the entry's status
    "CREATE TRIGGER roster_country_search_insert AFTER INSERT ON roster_country BEGIN"
    " INSERT INTO roster_country_search(rowid, name_key, lrn)"
    f" SELECT {_country_key('new.country', 'e.status', 'e.case_id')}, new.name_key, new.lrn"
    " FROM roster_entry e WHERE e.lrn = new.lrn; END",
    "CREATE TRIGGER roster_country_search_delete AFTER DELETE ON roster_country BEGIN"
    " DELETE FROM roster_country_search WHERE rowid IN"
    f" (SELECT {_country_key('old.country', 'e.status', 'e.case_id')}"
    " FROM roster_entry e WHERE e.lrn = old.lrn); END",
    "CREATE TRIGGER roster_country_search_update AFTER UPDATE OF lrn, country, name_key"
    " ON roster_country BEGIN"
    " DELETE FROM roster_country_search WHERE rowid IN"
    f" (SELECT {_country_key('old.country', 'e.status', 'e.case_id')}"
    " FROM roster_entry e WHERE e.lrn = old.lrn);"
    " INSERT INTO roster_country_search(rowid, name_key, lrn)"
    f" SELECT {_country_key('new.country', 'e.status', 'e.case_id')}, new.name_key, new.lrn"
    " FROM roster_entry e WHERE e.lrn = new.lrn; END",
]

#: 0015's table and triggers, as they were
_SQLITE_DOWN = [
    *(f"DROP TRIGGER roster_search_{t}" for t in ("insert", "delete", "update")),
    *(f"DROP TRIGGER roster_country_search_{t}" for t in ("insert", "delete", "update",
                                                           "refile")),
    "DROP TABLE roster_country_search",
    "DROP TABLE roster_search",
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

_POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "DROP INDEX ix_roster_name_trgm",
    "CREATE INDEX ix_roster_name_trgm ON roster_entry USING gin (status, name_key gin_trgm_ops)",
    "CREATE INDEX ix_roster_country_trgm ON roster_country"
    " USING gin (country, status, name_key gin_trgm_ops)",
    # every country row was rewritten: the planner's statistics now, not at autovacuum's turn
    "ANALYZE roster_country",
]
_POSTGRES_DOWN = [
    "DROP TRIGGER roster_entry_gives_status ON roster_entry",
    "DROP FUNCTION roster_entry_gives_status()",
    "DROP TRIGGER roster_country_takes_status ON roster_country",
    "DROP FUNCTION roster_country_takes_status()",
    "DROP INDEX ix_roster_country_trgm",
    "DROP INDEX ix_roster_name_trgm",
    "CREATE INDEX ix_roster_name_trgm ON roster_entry USING gin (name_key gin_trgm_ops)",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    # a table copy on SQLite: before any trigger on roster_country is made
    with op.batch_alter_table('roster_country', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=True))
    op.execute("UPDATE roster_country SET status = (SELECT e.status FROM roster_entry e"
               " WHERE e.lrn = roster_country.lrn)")
    with op.batch_alter_table('roster_country', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                              nullable=False)
        batch_op.create_index('ix_roster_country_status_sort',
                              ['country', 'status', 'name_key', 'lrn'], unique=False)
    for statement in (_POSTGRES_STATUS + _POSTGRES_UP) if postgres else (_SQLITE_STATUS
                                                                          + _SQLITE_UP):
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    if not postgres:
        for trigger in ("roster_country_status_insert", "roster_country_status"):
            op.execute(f"DROP TRIGGER {trigger}")
    for statement in _POSTGRES_DOWN if postgres else _SQLITE_DOWN:
        op.execute(statement)
    # SQLite: the country search's triggers are gone before the table copy
    with op.batch_alter_table('roster_country', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_country_status_sort')
        batch_op.drop_column('status')

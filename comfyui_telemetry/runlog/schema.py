"""The run log's SQLite schema and its migrations.

`PRAGMA user_version` is the schema version. Each migration moves a database from version N-1
to N inside one transaction; a database newer than this code is left alone (the run log stays
off rather than guess at a shape it does not know). Version 1 is the first release.

Text search uses an FTS5 table with the trigram tokenizer (substring search like the page's,
case-insensitive, indexed for 3+ characters) when Python's SQLite has it (3.34+), else a plain
`LIKE` over the rows' own `search` column.
"""

import sqlite3

SCHEMA_VERSION = 1

V1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    prompt_id TEXT NOT NULL UNIQUE,
    number INTEGER,
    client TEXT,
    status TEXT NOT NULL,
    exit_reason TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER,
    duration_ms INTEGER NOT NULL,
    gpu TEXT NOT NULL DEFAULT '',
    workflow TEXT NOT NULL DEFAULT '',
    graph_hash TEXT NOT NULL DEFAULT '',
    updated_ms INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    search TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_start ON runs (start_ms, id);
CREATE INDEX runs_by_duration ON runs (duration_ms, id);
CREATE INDEX runs_by_status ON runs (status, start_ms, id);
CREATE INDEX runs_by_exit ON runs (exit_reason, start_ms, id);
CREATE INDEX runs_by_workflow ON runs (workflow, start_ms, id);
CREATE INDEX runs_by_gpu ON runs (gpu, start_ms, id);
CREATE INDEX runs_by_graph ON runs (graph_hash, start_ms, id);
CREATE TABLE run_docs (id INTEGER PRIMARY KEY, doc BLOB NOT NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# The documents live apart from the rows the filters and sorts read, so those rows stay small
# (a scan touches few pages). The text index keeps no copy of the text (external content:
# `runs.search`), so the store keeps its entries in step itself (store.py).
FTS = ("CREATE VIRTUAL TABLE runs_text USING fts5 (search, content = 'runs', "
       "content_rowid = 'id', tokenize = 'trigram')")

# MIGRATIONS[n] takes a database at version n-1 to n.
MIGRATIONS = {1: [V1]}


class SchemaTooNew(RuntimeError):
    """The database was written by a newer extension."""


def has_trigram(conn):
    try:
        conn.execute("CREATE VIRTUAL TABLE temp._probe USING fts5 (x, tokenize = 'trigram')")
        conn.execute("DROP TABLE temp._probe")
        return True
    except sqlite3.Error:
        return False


def migrate(conn, migrations=None, target=None):
    """Brings `conn`'s database to `target` (default: the latest); returns the version found."""
    migrations = MIGRATIONS if migrations is None else migrations
    target = max(migrations) if target is None else target
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > target:
        raise SchemaTooNew(f"run log schema {found} is newer than {target}")
    for version in range(found + 1, target + 1):
        # Connections are in autocommit mode (isolation_level=None): one explicit transaction
        # per step, so a step is applied whole or not at all.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migrations[version]:
                for part in _split(statement):
                    conn.execute(part)
            if version == 1:
                if has_trigram(conn):
                    conn.execute(FTS)
            conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found


def _split(script):
    return [s.strip() for s in script.split(";") if s.strip()]


def uses_fts(conn):
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'runs_text'").fetchone()
    return bool(row and "fts5" in row[0].lower())

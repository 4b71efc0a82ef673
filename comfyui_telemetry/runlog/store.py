"""The run log's SQLite file: one writing connection (the writer thread's) and one read-only
connection per reading thread (the API's executor). WAL lets readers run while the writer
commits. Documents are stored as zlib-compressed JSON; the columns beside them are what the
indexes and filters need.
"""

import json
import os
import sqlite3
import threading
import zlib

from . import query as Q
from . import schema

FILE = "runlog.sqlite3"
# What a run costs on disk beyond its compressed document, roughly (measured by the benchmark):
# its row and index entries, and per character of search text the text and its trigram entries.
ROW_OVERHEAD = 700
TEXT_COST = 7


def encode(doc):
    return zlib.compress(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode(), 6)


def decode(blob):
    return json.loads(zlib.decompress(blob))


def connect(path, readonly=False):
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False, timeout=5.0)
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


class Store:
    def __init__(self, folder):
        self.folder = folder
        self.path = os.path.join(folder, FILE)
        self.conn = None
        self.fts = False
        self._local = threading.local()
        self._readers = []
        self._readers_lock = threading.Lock()

    # --- the writer's side ---------------------------------------------------------------------

    def open(self, migrations=None):
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        conn = connect(self.path)
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes effect on a new file
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        try:
            schema.migrate(conn, migrations)
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self.fts = schema.uses_fts(conn)
        try:
            os.chmod(self.path, 0o600)
        except OSError:
            pass
        return self

    def write(self, runs):
        """Upserts `[(doc, search text or None)]` in one transaction (None: text unchanged)."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for doc, text in runs:
                self._write_one(c, doc, text)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def _write_one(self, c, doc, text):
        blob = encode(doc)
        run = doc["run"]
        row = _one(c.execute("SELECT id, search FROM runs WHERE prompt_id = ?", (doc["prompt_id"],)))
        old_text = row[1] if row else ""
        new_text = old_text if text is None else text
        size = len(blob) + TEXT_COST * len(new_text) + ROW_OVERHEAD
        values = (run.get("number"), doc.get("client"), doc["status"], doc["exit_reason"],
                  int(doc["start_ms"]), _int(run.get("server_ended_ms") or run.get("ended_at_ms")),
                  int(doc["duration_ms"]), doc["gpu"], doc["workflow"], doc["graph_hash"],
                  int(run.get("last_update_ms") or 0), size, new_text)
        if row is None:
            row_id = c.execute(
                "INSERT INTO runs (number, client, status, exit_reason, start_ms, end_ms,"
                " duration_ms, gpu, workflow, graph_hash, updated_ms, bytes, search, prompt_id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", values + (doc["prompt_id"],)).lastrowid
        else:
            row_id = row[0]
            if self.fts and new_text != old_text:
                c.execute("INSERT INTO runs_text (runs_text, rowid, search) VALUES ('delete', ?, ?)",
                          (row_id, old_text))
            c.execute(
                "UPDATE runs SET number=?, client=?, status=?, exit_reason=?, start_ms=?, end_ms=?,"
                " duration_ms=?, gpu=?, workflow=?, graph_hash=?, updated_ms=?, bytes=?, search=?"
                " WHERE id = ?", values + (row_id,))
        if self.fts and (row is None or new_text != old_text):
            c.execute("INSERT INTO runs_text (rowid, search) VALUES (?, ?)", (row_id, new_text))
        c.execute("INSERT OR REPLACE INTO run_docs (id, doc) VALUES (?, ?)", (row_id, blob))

    def delete(self, prompt_ids):
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            n = 0
            for chunk in _chunks(list(prompt_ids), 500):
                marks = ",".join("?" * len(chunk))
                rows = c.execute(f"SELECT id, search FROM runs WHERE prompt_id IN ({marks})",
                                 chunk).fetchall()
                for row_id, text in rows:
                    if self.fts:
                        c.execute("INSERT INTO runs_text (runs_text, rowid, search)"
                                  " VALUES ('delete', ?, ?)", (row_id, text))
                    c.execute("DELETE FROM run_docs WHERE id = ?", (row_id,))
                    c.execute("DELETE FROM runs WHERE id = ?", (row_id,))
                n += len(rows)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return n

    def open_runs(self):
        """Docs of runs the log last saw queued or running."""
        rows = self.conn.execute(
            "SELECT doc FROM run_docs WHERE id IN"
            " (SELECT id FROM runs WHERE status IN ('queued', 'running'))").fetchall()
        return [decode(r[0]) for r in rows]

    def retain(self, *, max_runs, max_age_ms, max_bytes, now_ms):
        """Deletes the oldest finished runs past the count, age and byte limits (0 = no limit).
        Open runs are never deleted. Returns how many went."""
        c = self.conn
        victims = set()
        settled = "status NOT IN ('queued', 'running')"
        if max_age_ms:
            victims.update(r[0] for r in c.execute(
                f"SELECT prompt_id FROM runs WHERE {settled} AND start_ms < ? LIMIT 10000",
                (now_ms - max_age_ms,)))
        if max_runs:
            (total,) = c.execute("SELECT COUNT(*) FROM runs").fetchone()
            if total > max_runs:
                victims.update(r[0] for r in c.execute(
                    f"SELECT prompt_id FROM runs WHERE {settled} ORDER BY start_ms, id LIMIT ?",
                    (total - max_runs,)))
        if max_bytes:
            (size,) = c.execute("SELECT COALESCE(SUM(bytes), 0) FROM runs").fetchone()
            if size > max_bytes:
                over = size - max_bytes
                for prompt_id, nbytes in c.execute(
                        f"SELECT prompt_id, bytes FROM runs WHERE {settled} ORDER BY start_ms, id"):
                    if over <= 0:
                        break
                    if prompt_id not in victims:
                        victims.add(prompt_id)
                    over -= nbytes
        if not victims:
            return 0
        n = self.delete(victims)
        try:
            c.execute("PRAGMA incremental_vacuum")
        except sqlite3.Error:
            pass
        return n

    def close(self):
        """Closes the writer's connection (on the writer's thread, when it is done)."""
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None

    def close_readers(self):
        """Closes the readers' connections: only once no reading thread can use them."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for r in readers:
            try:
                r.close()
            except Exception:
                pass

    # --- the readers' side (any thread but the writer's) -----------------------------------------

    def reader(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def list(self, q, raw=False):
        """One page: `(docs, next cursor)`; with `raw`, each doc as its JSON bytes (what the
        API sends, so it neither parses nor re-encodes them)."""
        conn = self.reader()
        rows = None
        if q.text:
            sql, args, scanned = Q.prefix_listing(q)
            rows = conn.execute(sql, args).fetchall()
            if len(rows) <= q.limit and scanned(conn):
                rows = None  # the newest rows were not enough: ask the text index
        if rows is None:
            sql, args = Q.listing(q, self.fts)
            rows = conn.execute(sql, args).fetchall()
        more = len(rows) > q.limit
        rows = rows[:q.limit]
        docs = self._docs(conn, [r[0] for r in rows])
        runs = [docs[r[0]] if raw else json.loads(docs[r[0]]) for r in rows if r[0] in docs]
        cursor = Q.encode_cursor(q.sort, q.order, rows[-1][1], rows[-1][0]) if more else None
        return runs, cursor

    @staticmethod
    def _docs(conn, ids):
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {i: zlib.decompress(blob) for i, blob in
                conn.execute(f"SELECT id, doc FROM run_docs WHERE id IN ({marks})", ids)}

    def count(self, q):
        if self.fts and q.text and len(q.text) >= 3 and not (q.filters or q.since or q.until):
            # Text alone: the index counts its matches without touching the rows.
            return _one(self.reader().execute(
                "SELECT COUNT(*) FROM runs_text WHERE runs_text MATCH ?", (Q.phrase(q.text),)))[0]
        cond, args = Q.where(q, self.fts)
        return _one(self.reader().execute(f"SELECT COUNT(*) FROM runs WHERE {cond}", args))[0]

    def get(self, prompt_id, raw=False):
        row = _one(self.reader().execute(
            "SELECT d.doc FROM runs r JOIN run_docs d ON d.id = r.id WHERE r.prompt_id = ?",
            (prompt_id,)))
        if row is None:
            return None
        return zlib.decompress(row[0]) if raw else decode(row[0])

    def stats(self):
        conn = self.reader()
        n, size = _one(conn.execute("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM runs"))
        try:
            file_bytes = sum(os.path.getsize(self.path + s) for s in ("", "-wal")
                             if os.path.exists(self.path + s))
        except OSError:
            file_bytes = None
        return {"runs": n, "bytes": size, "file_bytes": file_bytes, "fts": self.fts}


def _one(cursor):
    """The first row, with the statement run to its end: a reader's statement left unfinished
    keeps its read transaction, and so an old snapshot, open."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _int(v):
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _chunks(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]

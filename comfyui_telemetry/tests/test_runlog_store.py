"""The run log's SQLite store: listing with filters, sorts and stable cursors, counts, text
search, deletes, retention by count/age/bytes, schema versions and migrations."""

import sqlite3

import pytest

from comfyui_telemetry.runlog import query as Q
from comfyui_telemetry.runlog import record, schema
from comfyui_telemetry.runlog.params import Hidden
from comfyui_telemetry.runlog.store import Store

PROMPT = {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.ckpt"}},
          "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}}


def make_run(i, status="succeeded", start=None, duration=1000, gpu="RTX 4090", workflow=None):
    run = record.Run(f"p{i:05d}", 0)
    run.queued(0, i, "c-x", PROMPT, {}, store_text=True, hidden=Hidden(), env={})
    start = i * 10_000 if start is None else start
    run.started(start)
    run.server_started_ms = start
    run.gpu_name = gpu
    if workflow:
        run.workflow_name = workflow
    if status in ("succeeded", "failed", "interrupted"):
        run.server_ended_ms = start + duration
        run.set_status(status)
    run.outputs.append({"node_id": "2", "kind": "image", "filename": f"img_{i:05d}.png",
                        "subfolder": "", "folder_type": "output", "format": None, "text": None,
                        "animated": False})
    return run


@pytest.fixture
def store(tmp_path):
    s = Store(str(tmp_path / "log")).open()
    yield s
    s.close()


def fill(store, runs):
    store.write([(r.doc(), r.search_text()) for r in runs])


def ids(runs):
    return [r["prompt_id"] for r in runs]


def page_all(store, **kw):
    out, cursor = [], None
    while True:
        q = Q.parse(dict(kw, **({"cursor": cursor} if cursor else {})))
        runs, cursor = store.list(q)
        out += runs
        if cursor is None:
            return out


def test_listing_newest_first_in_stable_pages(store):
    fill(store, [make_run(i) for i in range(25)])
    first, cursor = store.list(Q.parse({"limit": "10"}))
    assert ids(first) == [f"p{i:05d}" for i in range(24, 14, -1)]
    fill(store, [make_run(i) for i in range(100, 103)])  # newer runs arrive between pages
    store.delete(["p00014"])
    second, _ = store.list(Q.parse({"limit": "10", "cursor": cursor}))
    assert ids(second) == [f"p{i:05d}" for i in range(13, 3, -1)]
    assert len(page_all(store, limit="7")) == 27
    oldest = page_all(store, order="asc", limit="4")
    assert ids(oldest)[:3] == ["p00000", "p00001", "p00002"]


@pytest.mark.parametrize("prefix", [3, 2000])  # text answered by the text index, or by the newest rows
def test_filters_sorts_text_and_counts(store, prefix, monkeypatch):
    monkeypatch.setattr(Q, "PREFIX", prefix)
    runs = [make_run(i, status=("failed" if i % 3 == 0 else "succeeded"), duration=i * 100,
                     gpu=("A100" if i % 2 else "RTX 4090"),
                     workflow=("Portraits" if i < 5 else None)) for i in range(30)]
    fill(store, runs)
    failed = page_all(store, status="failed")
    assert ids(failed) == [f"p{i:05d}" for i in range(27, -1, -3)]
    assert store.count(Q.parse({"status": "failed"})) == 10
    assert store.count(Q.parse({"exit_reason": "error,success"})) == 30
    assert store.count(Q.parse({"gpu": "A100"})) == 15
    assert ids(page_all(store, workflow="Portraits")) == [f"p{i:05d}" for i in range(4, -1, -1)]
    slow = page_all(store, sort="duration", limit="4")
    assert ids(slow)[:3] == ["p00029", "p00028", "p00027"]
    assert ids(page_all(store, q="IMG_00017")) == ["p00017"]
    assert ids(page_all(store, q="g_0001", order="asc")) == [f"p{i:05d}" for i in range(10, 20)]
    assert store.count(Q.parse({"q": "sd15"})) == 30
    assert store.count(Q.parse({"q": "7"})) == 3  # short text: LIKE over the same table
    assert ids(page_all(store, since="50000", until="80000")) == ["p00007", "p00006", "p00005"]
    assert store.count(Q.parse({"q": "100%_"})) == 0


def test_bad_queries_are_refused():
    for params in ({"sort": "name"}, {"order": "up"}, {"limit": "x"}, {"limit": "0"},
                   {"cursor": "garbage!"}, {"q": "x" * 201}):
        with pytest.raises(Q.BadQuery):
            Q.parse(params)
    c = Q.encode_cursor("start", "desc", 5, 1)
    with pytest.raises(Q.BadQuery):
        Q.parse({"cursor": c, "sort": "duration"})


def test_get_delete_and_a_rewrite_keeps_one_row(store):
    run = make_run(1, status="running")
    fill(store, [run])
    run.server_ended_ms = run.server_started_ms + 5
    run.set_status("succeeded")
    store.write([(run.doc(), None)])  # text unchanged
    assert store.count(Q.parse({})) == 1
    assert store.get("p00001")["status"] == "succeeded"
    assert store.count(Q.parse({"q": "img_00001"})) == 1
    assert store.delete(["p00001", "nope"]) == 1
    assert store.get("p00001") is None and store.count(Q.parse({"q": "img_00001"})) == 0


def test_retention_by_count_age_and_bytes_never_touches_open_runs(store):
    fill(store, [make_run(i) for i in range(20)] + [make_run(999, status="running", start=0)])
    assert store.retain(max_runs=15, max_age_ms=0, max_bytes=0, now_ms=0) == 6
    left = ids(page_all(store, order="asc"))
    assert "p00999" in left and left[1:] == [f"p{i:05d}" for i in range(6, 20)]
    assert store.retain(max_runs=0, max_age_ms=100_000, max_bytes=0, now_ms=200_000) == 4
    assert ids(page_all(store, order="asc"))[1] == "p00010"
    size = store.stats()["bytes"]
    per = size / store.count(Q.parse({}))
    store.retain(max_runs=0, max_age_ms=0, max_bytes=int(per * 4.5), now_ms=0)
    assert store.count(Q.parse({})) <= 5 and store.get("p00999") is not None
    assert store.get("p00019") is not None


def test_schema_version_and_a_later_migration(tmp_path):
    s = Store(str(tmp_path)).open()
    conn = s.conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    fill(s, [make_run(1)])
    s.close()
    later = dict(schema.MIGRATIONS)
    later[2] = ["ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''"]
    s2 = Store(str(tmp_path)).open(migrations=later)
    assert s2.conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert s2.conn.execute("SELECT note FROM runs").fetchall() == [("",)]
    assert s2.get("p00001")["prompt_id"] == "p00001"
    s2.close()
    with pytest.raises(schema.SchemaTooNew):
        Store(str(tmp_path)).open()  # a newer file is left as it is


def test_a_failed_migration_changes_nothing(tmp_path):
    s = Store(str(tmp_path)).open()
    s.close()
    broken = dict(schema.MIGRATIONS)
    broken[2] = ["ALTER TABLE runs ADD COLUMN a TEXT", "THIS IS NOT SQL"]
    with pytest.raises(sqlite3.Error):
        Store(str(tmp_path)).open(migrations=broken)
    conn = sqlite3.connect(str(tmp_path / "runlog.sqlite3"))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "a" not in [r[1] for r in conn.execute("PRAGMA table_info(runs)")]

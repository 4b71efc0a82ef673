"""The dashboard and the run log inside a real ComfyUI 0.3.64: runs queued before any page was
open are listed by a fresh browser profile (it never saw them live), each row from the server;
Compare of two runs that differ only in steps and seed shows exactly those two differences; the
run page lists the run's parameters. Needs the built dashboard (`scripts/build.sh`: dist/) and
Playwright with Debian's Chromium (tests/e2e/node_modules)."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

import workflows as wf
from test_runlog import queue, wait_logged

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("page_probe.cjs")


def probe(url, run_a, run_b):
    missing = [what for what, ok in (
        ("dist/index.html (scripts/build.sh)", (REPO / "dist" / "index.html").is_file()),
        ("tests/e2e/node_modules/playwright", (REPO / "tests/e2e/node_modules/playwright").exists()),
        ("node", shutil.which("node") is not None)) if not ok]
    if missing:
        pytest.skip("needs " + ", ".join(missing))
    out = subprocess.run(["node", str(PROBE), url, run_a, run_b], capture_output=True, text=True,
                         timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


async def test_a_fresh_profile_lists_runs_queued_before_the_page_opened(fresh_ext):
    server = fresh_ext
    client = "it-" + uuid.uuid4().hex[:8]
    one = wf.success(steps=3, step_seconds=0.05)
    two = wf.success(steps=5, step_seconds=0.05)
    ids = [queue(server, one, client), queue(server, two, client),
           queue(server, wf.error(), client)]
    logged = wait_logged(server, ids)
    assert logged[ids[2]]["status"] == "failed"

    seen = probe(server.url + "/telemetry/ui/", ids[0], ids[1])
    assert seen["errors"] == []
    assert seen["serverLog"] == "yes"
    rows = {r["id"]: r for r in seen["rows"]}
    for pid in ids:
        assert pid in rows, (pid, seen["rows"])
        assert rows[pid]["status"] == logged[pid]["status"], pid
        # From the server's log; "both" when the page's own start-up backfill from ComfyUI's
        # /history stored the run before the log's copy was written (the two race at start-up,
        # and either order is right: the row is then in this browser too).
        assert rows[pid]["source"] in ("server", "both"), pid
    # The two runs differ in the sleep node's steps and seed only.
    assert sorted(d[0] for d in seen["diff"]) == ["2.seed", "2.steps"], seen["diff"]
    steps = next(d for d in seen["diff"] if d[0] == "2.steps")
    assert steps[1:] == ["3", "5"]
    assert seen["params"]["2.steps"] == "3"
    assert seen["params"]["comfyui_version"] == logged[ids[0]]["env"]["comfyui_version"]

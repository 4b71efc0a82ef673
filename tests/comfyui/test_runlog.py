"""The run log inside a real ComfyUI 0.3.64: runs of several clients logged with the status,
nodes and outputs ComfyUI's own /history reports; every run that ended before a SIGKILL (by
more than a second) still listed after the restart, the one that was running `lost`; webhooks
delivered to a receiver on loopback, retried after a 500."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
import uuid
import zlib
from pathlib import Path

import workflows as wf
from harness import ComfyServer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "comfyui_telemetry" / "tests"))
from receiver import Receiver  # noqa: E402

STATUS = {"success": "succeeded"}


def runs_of(server, **params):
    query = "&".join(f"{k}={v}" for k, v in dict(params, limit=500).items())
    status, body = server.request("GET", "/telemetry/runs?" + query)
    assert status == 200, body
    return {r["prompt_id"]: r for r in body["runs"]}


def wait_logged(server, prompt_ids, statuses=("succeeded", "failed", "interrupted"), timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        runs = runs_of(server)
        if all(p in runs and runs[p]["status"] in statuses for p in prompt_ids):
            return runs
        assert time.monotonic() < deadline, {p: runs.get(p, {}).get("status") for p in prompt_ids}
        time.sleep(0.1)


def queue(server, prompt, client_id=None, extra=None):
    status, body = server.queue_prompt(prompt, client_id=client_id, extra_data=extra)
    assert status == 200, body
    return body["prompt_id"]


def history_view(entry):
    """(status, cached nodes, output file names, error node) as ComfyUI's history says."""
    messages = entry["status"]["messages"]
    cached = next((d["nodes"] for e, d in messages if e == "execution_cached"), [])
    events = [e for e, _ in messages]
    if "execution_interrupted" in events:
        status = "interrupted"
    elif entry["status"]["status_str"] == "success":
        status = "succeeded"
    else:
        status = "failed"
    error = next((d["node_id"] for e, d in messages if e in ("execution_error", "execution_interrupted")), None)
    files = sorted(i["filename"] for out in entry["outputs"].values() for i in out.get("images", []))
    return status, sorted(cached), files, error


def log_view(doc):
    run = doc["run"]
    cached = sorted(n["id"] for n in run["nodes"] if n["status"] == "cached")
    files = sorted(o["filename"] for o in run["outputs"] if o["kind"] == "image")
    error = (run["error"] or {}).get("node_id") or run["interrupted_node"]
    return doc["status"], cached, files, error


def stored_bytes(base: Path) -> list[bytes]:
    folder = base / "telemetry"
    out = []
    db = sqlite3.connect(str(folder / "runlog.sqlite3"))
    out += [zlib.decompress(b) for (b,) in db.execute("SELECT doc FROM run_docs")]
    out += [s.encode() for (s,) in db.execute("SELECT search FROM runs")]
    db.close()
    for name in os.listdir(folder):
        out.append((folder / name).read_bytes())
    return out


async def test_runs_of_several_clients_are_logged_as_the_history_has_them(fresh_ext, connect):
    server = fresh_ext
    tele = await connect(server, "/telemetry")
    hello = await tele.wait_type("telemetry.hello")
    assert "runlog" in hello["data"]["features"]
    a, b, c = ("it-" + uuid.uuid4().hex[:8] for _ in range(3))
    token = "tok-" + uuid.uuid4().hex
    first = wf.success()
    seed = first["2"]["inputs"]["seed"]
    ids = [queue(server, first, a),
           queue(server, wf.error(), b),
           queue(server, wf.success(), None),
           queue(server, wf.partial_cache(seed + 1), a),
           queue(server, wf.credential_error(), b, {"auth_token_comfy_org": token,
                                                    "api_key_comfy_org": token + "k"})]
    long_id = queue(server, wf.long_running(steps=100, step_seconds=0.05), c)
    await tele.wait_type("progress", long_id, timeout=60)
    assert server.request("POST", "/interrupt", {})[0] == 200
    ids.append(long_id)
    server.wait_idle()
    runs = wait_logged(server, ids)
    for pid in ids:
        entry = server.wait_history(pid)
        assert log_view(runs[pid]) == history_view(entry), pid
        run = runs[pid]["run"]
        assert run["server_started_ms"] == next(d["timestamp"] for e, d in entry["status"]["messages"]
                                                if e == "execution_start")
        prompt_nodes = set(entry["prompt"][2])
        assert {n["id"] for n in run["nodes"] if n["in_prompt"]} == prompt_nodes
        if runs[pid]["status"] == "succeeded":
            done = {n["id"] for n in run["nodes"] if n["status"] in ("finished", "cached")}
            assert done == prompt_nodes, pid
    statuses = {pid: runs[pid]["status"] for pid in ids}
    assert list(statuses.values()) == ["succeeded", "failed", "succeeded", "succeeded", "failed",
                                       "interrupted"]
    clients = [runs[pid]["run"]["client_id"] for pid in ids]
    assert clients[0] == clients[3] and clients[1] == clients[4] and clients[2] is None
    assert len({clients[0], clients[1], clients[5]}) == 3 and a not in json.dumps(runs)
    params = runs[ids[0]]["params"]
    assert params["widgets"]["2"]["inputs"]["seed"] == seed
    env = runs[ids[0]]["env"]
    assert env["comfyui_version"] == "0.3.64" and env["torch_version"] and env["device"] == "cpu"
    assert runs[ids[0]]["graph_hash"] == runs[ids[3]]["graph_hash"]  # same graph, other values
    # one run in full, the count, the filters
    status, one = server.request("GET", f"/api/telemetry/runs/{ids[1]}")
    assert status == 200 and one["run"]["error"]["node_type"] == "TelemetryFail"
    assert server.request("GET", "/telemetry/runs/count?status=failed")[1] == {"count": 2}
    # credentials never reach the disk; the folder is not ComfyUI's user folder
    for blob in stored_bytes(server.base):
        assert token.encode() not in blob
    assert (server.base / "telemetry" / "runlog.sqlite3").is_file()
    status, listing = server.request("GET", "/api/userdata?dir=../telemetry")
    assert status != 200 or not listing
    # another origin cannot read it
    status, _ = server.request("GET", "/telemetry/runs", headers={"Origin": "http://evil.example"})
    assert status == 403


async def test_every_run_that_ended_survives_sigkill_and_restart(fresh_ext):
    server = fresh_ext
    client = "it-" + uuid.uuid4().hex[:8]
    ids = [queue(server, wf.success(steps=3, step_seconds=0.1), client) for _ in range(12)]
    ended_at = {}
    while len(ended_at) < 6:
        for pid in ids:
            if pid not in ended_at and (server.history(pid) or {}).get(pid, {}).get("status"):
                ended_at[pid] = time.monotonic()
        time.sleep(0.05)
    killed_at = time.monotonic()
    proc, server.proc = server.proc, None
    proc.kill()  # SIGKILL during the burst: no goodbye
    proc.wait(timeout=15)
    server.start()
    runs = wait_logged(server, [p for p, t in ended_at.items() if t <= killed_at - 1.0],
                       statuses=("succeeded",))
    for pid, t in ended_at.items():
        if t <= killed_at - 1.0:
            assert runs[pid]["status"] == "succeeded" and runs[pid]["run"]["outputs"], pid
    # nothing stays running or queued: what was open when ComfyUI died is lost
    assert {r["status"] for r in runs.values()} <= {"succeeded", "lost"}
    lost = [r for r in runs.values() if r["status"] == "lost"]
    assert lost and all(r["run"]["status"] == "unknown" and r["run"]["lost_reason"] for r in lost)
    started = [r for r in lost if r["run"]["started_at_ms"] is not None]
    assert len(started) <= 1 and all(r["run"]["current_node"] for r in started)
    before = {p: r["status"] for p, r in runs.items()}
    server.restart()  # a clean restart changes nothing
    after = runs_of(server)
    assert {p: r["status"] for p, r in after.items()} == before


async def test_webhooks_deliver_each_finished_run_and_the_drained_queue():
    rx = Receiver(statuses=[500])
    server = ComfyServer(extension=True, env={
        "COMFY_TELEMETRY_WEBHOOK_URL": rx.url, "COMFY_TELEMETRY_WEBHOOK_BACKOFF": "0.2"}).start()
    try:
        client = "it-" + uuid.uuid4().hex[:8]
        ids = [queue(server, wf.success(steps=3, step_seconds=0.2), client) for _ in range(3)]
        server.wait_idle()
        assert await asyncio.to_thread(rx.wait, 5, 20.0)
        await asyncio.sleep(1.0)
        bodies = rx.bodies()
        events = [b["event"] for b in bodies]
        assert events.count("queue.drained") == 1 and events[-1] == "queue.drained"
        runs = [b["prompt_id"] for b in bodies if b["event"] == "run.succeeded"]
        assert runs == [ids[0]] + ids  # the first answered 500 once and was sent again
        assert bodies[1]["outputs"] and bodies[1]["duration_ms"] > 0
    finally:
        server.close()
        rx.close()


def flat_params(doc):
    """Every parameter as `name` or `node.input`: what a comparison of two runs lines up."""
    params = dict(doc["params"])
    out = {f"{node}.{k}": v for node, w in params.pop("widgets", {}).items()
           for k, v in w["inputs"].items()}
    out.update({k: json.dumps(v) for k, v in params.items()})
    out.update({f"env.{k}": v for k, v in doc["env"].items()})
    return out


async def test_two_runs_that_differ_in_steps_and_seed_differ_in_exactly_those(fresh_ext):
    server = fresh_ext
    one = wf.success(steps=3, step_seconds=0.05)
    two = wf.success(steps=5, step_seconds=0.05)
    ids = [queue(server, one, "it-a"), queue(server, two, "it-b")]
    runs = wait_logged(server, ids)
    a, b = (flat_params(runs[p]) for p in ids)
    assert {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)} == {"2.steps", "2.seed"}
    assert runs[ids[0]]["graph_hash"] == runs[ids[1]]["graph_hash"]

"""The run log inside the fake ComfyUI: runs recorded from the queue and the mirrored messages,
served by /telemetry/runs under the origin policy, deleted for good, credentials never on disk,
runs left open by a dead process `lost` at the next start, and the feature in the hello."""

import asyncio
import collections
import json
import os
import sqlite3
import time
import zlib

import pytest

from comfyui_telemetry.runlog import location
from comfyui_telemetry.runlog.config import Settings
from conftest import PROMPT, finish_prompt, hello_of, queue_item, run_node, start_prompt

Status = collections.namedtuple("Status", "status_str completed messages")
SAVED = {"images": [{"filename": "out_00001_.png", "subfolder": "", "type": "output"}]}
SECRET = "comfy-org-secret-value-123456"


def fast():
    return Settings(flush_interval=0.05, sample_interval=0.05, queue_size=1000)


@pytest.fixture
async def logged(make_comfy, tmp_path):
    made = []

    async def make(folder=None, settings=None, **options):
        comfy = await make_comfy(runlog_options={"folder": str(folder or tmp_path / "log"),
                                                 "settings": settings or fast()}, **options)
        made.append(comfy)
        return comfy

    yield make
    for comfy in made:
        if comfy.ext.runlog is not None:
            comfy.ext.runlog.stop()


NOW = int(time.time() * 1000)  # retention forgets runs that started a year ago


def ok_status(prompt_id, start=NOW + 1000, end=NOW + 4000):
    return Status("success", True, [("execution_start", {"prompt_id": prompt_id, "timestamp": start}),
                                    ("execution_cached", {"nodes": [], "prompt_id": prompt_id, "timestamp": start}),
                                    ("execution_success", {"prompt_id": prompt_id, "timestamp": end})])


async def run_prompt(comfy, prompt_id, client_id="ui", extra=None, number=None):
    server = comfy.server
    q = server.prompt_queue
    q.put(queue_item(q.task_counter if number is None else number, prompt_id, client_id,
                     extra=extra))
    item, item_id = q.get(timeout=1)
    await start_prompt(server, prompt_id, client_id)
    await run_node(server, prompt_id, client_id, "2")
    await run_node(server, prompt_id, client_id, "3", steps=0)
    await server.send_json("executed", {"node": "3", "display_node": "3", "output": SAVED,
                                        "prompt_id": prompt_id}, client_id)
    await finish_prompt(server, prompt_id, client_id)
    q.task_done(item_id, {"outputs": {"3": SAVED}, "meta": {}}, status=ok_status(prompt_id))


async def get_json(comfy, path, status=200, **kw):
    r = await comfy.client.get(path, **kw)
    assert r.status == status, await r.text()
    return await r.json()


async def until(fn, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await fn()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.03)


async def wait_status(comfy, prompt_id, status):
    async def check():
        r = await comfy.client.get(f"/telemetry/runs/{prompt_id}")
        if r.status == 200:
            doc = await r.json()
            return doc if doc["status"] == status else None
        return None
    return await until(check)


async def test_a_run_is_logged_with_nodes_outputs_and_a_pseudonym(logged):
    comfy = await logged()
    await run_prompt(comfy, "run-1", client_id="client-abc")
    doc = await wait_status(comfy, "run-1", "succeeded")
    run = doc["run"]
    assert run["client_id"] != "client-abc" and run["client_id"]
    assert "client-abc" not in json.dumps(doc)
    assert (run["server_started_ms"], run["server_ended_ms"], doc["duration_ms"]) == (
        NOW + 1000, NOW + 4000, 3000)
    # Node 1 sent nothing, but the success needed it: it ran (as the page reads /history).
    assert [(n["id"], n["status"]) for n in run["nodes"]] == [
        ("1", "finished"), ("2", "finished"), ("3", "finished")]
    assert [o["filename"] for o in run["outputs"]] == ["out_00001_.png"]
    listing = await get_json(comfy, "/telemetry/runs")
    assert [r["prompt_id"] for r in listing["runs"]] == ["run-1"] and listing["next_cursor"] is None
    assert (await get_json(comfy, "/api/telemetry/runs/count?status=succeeded"))["count"] == 1
    assert (await get_json(comfy, "/telemetry/runs/count?status=failed"))["count"] == 0
    assert (await get_json(comfy, "/telemetry/runs?q=out_0000"))["runs"][0]["prompt_id"] == "run-1"
    await get_json(comfy, "/telemetry/runs/nope", status=404)
    await get_json(comfy, "/telemetry/runs?sort=name", status=400)


async def test_a_prompt_without_client_id_is_logged_from_the_queue(logged):
    comfy = await logged()
    q = comfy.server.prompt_queue
    q.put(queue_item(0, "quiet", client_id=None))
    _, item_id = q.get(timeout=1)
    q.task_done(item_id, {"outputs": {"3": SAVED}}, status=ok_status("quiet"))
    doc = await wait_status(comfy, "quiet", "succeeded")
    assert doc["run"]["client_id"] is None and doc["run"]["outputs"][0]["filename"] == "out_00001_.png"


async def test_pages_walk_every_run_once(logged):
    comfy = await logged()
    for i in range(7):
        await run_prompt(comfy, f"r{i}")
    await wait_status(comfy, "r6", "succeeded")
    seen, cursor = [], None
    while True:
        page = await get_json(comfy, "/telemetry/runs?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += [r["prompt_id"] for r in page["runs"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"r{i}" for i in range(7)] and len(seen) == 7


async def test_other_origins_are_refused(logged):
    comfy = await logged()
    await run_prompt(comfy, "run-1")
    await wait_status(comfy, "run-1", "succeeded")
    evil = {"Origin": "http://evil.example"}
    for method, path in (("GET", "/telemetry/runs"), ("GET", "/telemetry/runs/run-1"),
                         ("GET", "/telemetry/runs/count"), ("DELETE", "/telemetry/runs/run-1"),
                         ("POST", "/telemetry/runs/delete"), ("GET", "/api/telemetry/runs")):
        r = await comfy.client.request(method, path, headers=evil, json={"prompt_ids": ["run-1"]})
        assert r.status == 403, (method, path)
    null = await comfy.client.get("/telemetry/runs", headers={"Origin": "null"})
    assert null.status == 403
    await get_json(comfy, "/telemetry/runs/run-1")
    host = comfy.client.server.host, comfy.client.server.port
    own = await comfy.client.get("/telemetry/runs", headers={"Origin": f"http://{host[0]}:{host[1]}"})
    assert own.status == 200


async def test_deleted_runs_do_not_come_back(logged):
    comfy = await logged()
    for pid in ("a", "b", "c"):
        await run_prompt(comfy, pid)
    await wait_status(comfy, "c", "succeeded")
    r = await comfy.client.delete("/telemetry/runs/a")
    assert r.status == 200 and (await r.json()) == {"deleted": 1}
    r = await comfy.client.post("/telemetry/runs/delete", json={"prompt_ids": ["b", "zz"]})
    assert (await r.json()) == {"deleted": 1}
    # late messages about a deleted run do not bring it back
    await comfy.server.send_json("executing", {"node": None, "prompt_id": "a"}, "ui")
    await comfy.flush()
    await asyncio.sleep(0.2)
    assert [x["prompt_id"] for x in (await get_json(comfy, "/telemetry/runs"))["runs"]] == ["c"]
    r = await comfy.client.delete("/telemetry/runs/a")
    assert r.status == 404
    r = await comfy.client.post("/telemetry/runs/delete", json={"ids": "x"})
    assert r.status == 400


async def test_credentials_never_reach_the_disk(logged, tmp_path):
    comfy = await logged()
    server = comfy.server
    prompt = dict(PROMPT, **{"9": {"class_type": "ApiNode", "inputs": {
        "api_key": "sk-live-0123456789abcdef", "prompt": "hello"}}})
    q = server.prompt_queue
    q.put((0, "leaky", prompt, {"client_id": "ui", "api_key_comfy_org": SECRET,
                                "auth_token_comfy_org": SECRET + "-t"}, ["3"]))
    _, item_id = q.get(timeout=1)
    await server.send_json("execution_start", {"prompt_id": "leaky", "timestamp": NOW}, "ui")
    error = {"prompt_id": "leaky", "node_id": "9", "node_type": "ApiNode",
             "exception_type": "RuntimeError",
             "exception_message": f"401 for key {SECRET}", "traceback": [f"token={SECRET}"],
             "current_inputs": {"api_key_comfy_org": [SECRET]}, "executed": [], "timestamp": 5}
    await server.send_json("execution_error", error, "ui")
    q.task_done(item_id, {"outputs": {}}, status=Status("error", False, [("execution_error", error)]))
    doc = await wait_status(comfy, "leaky", "failed")
    comfy.ext.runlog.stop()
    assert "[redacted]" in doc["run"]["error"]["exception_message"]
    blobs = []
    db = sqlite3.connect(str(tmp_path / "log" / "runlog.sqlite3"))
    for (blob,) in db.execute("SELECT doc FROM run_docs"):
        blobs.append(zlib.decompress(blob))
    blobs += [t.encode() for (t,) in db.execute("SELECT search FROM runs")]
    for name in os.listdir(tmp_path / "log"):
        with open(tmp_path / "log" / name, "rb") as f:
            blobs.append(f.read())
    for blob in blobs:
        for secret in (SECRET.encode(), b"sk-live-0123456789abcdef"):
            assert secret not in blob


async def test_a_run_open_when_comfyui_died_is_lost_after_the_restart(logged, tmp_path):
    first = await logged()
    server = first.server
    q = server.prompt_queue
    q.put(queue_item(0, "dying"))
    q.get(timeout=1)
    await server.send_json("execution_start", {"prompt_id": "dying", "timestamp": NOW}, "ui")
    await run_node(server, "dying", "ui", "2")
    q.put(queue_item(1, "waiting"))
    await wait_status(first, "dying", "running")
    await asyncio.sleep(0.2)
    first.ext.runlog.stop()  # what it last wrote says running: it never ended
    second = await logged()
    lost = await wait_status(second, "dying", "lost")
    assert lost["exit_reason"] == "lost" and lost["run"]["status"] == "unknown"
    assert lost["run"]["current_node"] == "2" and lost["run"]["lost_reason"] == "server restarted"
    assert (await wait_status(second, "waiting", "lost"))["run"]["started_at_ms"] is None
    assert (await get_json(second, "/telemetry/runs/count?status=lost"))["count"] == 2


async def test_hello_announces_the_run_log(logged, make_comfy):
    comfy = await logged()
    tele = await comfy.ws("/telemetry")
    assert (await hello_of(tele))["features"] == ["runlog"]
    plain = await make_comfy()
    tele = await plain.ws("/telemetry")
    assert (await hello_of(tele))["features"] == []
    assert (await plain.client.get("/telemetry/runs")).status == 404


async def test_a_store_that_cannot_open_leaves_comfyui_working(logged, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    comfy = await logged(folder=blocker)
    await run_prompt(comfy, "fine")
    assert "fine" in comfy.server.prompt_queue.history
    r = await comfy.client.get("/telemetry/runs")
    assert r.status == 503


def test_folders_comfyui_serves_are_refused(tmp_path):
    served = [str(tmp_path / "output"), str(tmp_path / "user")]
    assert location.served_by(str(tmp_path / "telemetry"), served) is None
    assert location.served_by(str(tmp_path / "user" / "default" / "t"), served) == served[1]
    assert location.served_by(str(tmp_path), served) is not None  # would contain output/


async def test_the_default_folder_is_in_the_base_directory_and_never_a_served_one(
        make_comfy, tmp_path, monkeypatch):
    import sys
    import types

    fp = types.SimpleNamespace(
        base_path=str(tmp_path), get_output_directory=lambda: str(tmp_path / "output"),
        get_input_directory=lambda: str(tmp_path / "input"),
        get_temp_directory=lambda: str(tmp_path / "temp"),
        get_user_directory=lambda: str(tmp_path / "user"))
    monkeypatch.setitem(sys.modules, "folder_paths", fp)
    assert location.default_dir() == str(tmp_path / "telemetry")
    monkeypatch.setenv("COMFY_TELEMETRY_DATA_DIR", str(tmp_path / "user" / "default" / "log"))
    refused = await make_comfy()
    assert refused.ext.runlog is None and "runlog" not in refused.ext.features
    assert not (tmp_path / "user").exists()
    monkeypatch.delenv("COMFY_TELEMETRY_DATA_DIR")
    comfy = await make_comfy()
    try:
        assert comfy.ext.runlog.folder == str(tmp_path / "telemetry")
        await run_prompt(comfy, "here")
        await wait_status(comfy, "here", "succeeded")
        assert (tmp_path / "telemetry" / "runlog.sqlite3").is_file()
    finally:
        comfy.ext.runlog.stop()

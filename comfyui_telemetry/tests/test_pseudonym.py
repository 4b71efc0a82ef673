"""Other clients' socket ids are never published: each prompt's client id reaches subscribers as a
keyed pseudonym (the same across restarts, the key in a file ComfyUI does not serve), in
telemetry.queued, the hello's queue, mirrored frames and the catch-up alike."""

import json
import os
import stat
import struct
import sys
import types
import uuid

import pytest

from comfyui_telemetry import pseudonym as ps
from conftest import hello_of, queue_item, receive_all, start_prompt


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "base" / "telemetry" / "secret.key"
    monkeypatch.setenv(ps.ENV, str(path))
    ps.reset()
    yield path
    monkeypatch.delenv(ps.ENV)
    ps.reset()


def test_the_key_is_made_private_on_first_use_and_kept_across_restarts(key_file):
    name = ps.pseudonym("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert name.startswith("c-") and len(name) == 18 and int(name[2:], 16) >= 0
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(key_file.parent).st_mode) == 0o700
    ps.reset()  # a restart
    assert ps.pseudonym("0f1e2d3c4b5a69788796a5b4c3d2e1f0") == name
    assert ps.pseudonym("another-client") != name
    key_file.write_bytes(os.urandom(32))  # another installation
    ps.reset()
    assert ps.pseudonym("0f1e2d3c4b5a69788796a5b4c3d2e1f0") != name


def test_the_key_lives_in_the_base_directory_outside_what_comfyui_serves(tmp_path, monkeypatch):
    monkeypatch.delenv(ps.ENV, raising=False)
    fake = types.ModuleType("folder_paths")
    fake.base_path = str(tmp_path)
    monkeypatch.setitem(sys.modules, "folder_paths", fake)
    path = ps.key_path()
    assert path == os.path.join(str(tmp_path), "telemetry", "secret.key")
    for served in ("user", "input", "output", "temp", "custom_nodes", "models"):
        assert not path.startswith(os.path.join(str(tmp_path), served) + os.sep)


async def test_no_raw_client_id_in_queued_hello_mirrored_frames_or_catch_up(comfy, key_file):
    srv = comfy.server
    cid = uuid.uuid4().hex
    own = await comfy.ws("/ws", clientId=cid)
    await receive_all(own)
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    srv.prompt_queue.put(queue_item(1, "p1", client_id=cid))
    srv.prompt_queue.put(queue_item(2, "p2", client_id=cid))
    await start_prompt(srv, "p1", cid)
    # Frames a custom node might send, carrying the id as a field, in text, or as a key.
    await srv.send_json("custom.status", {"prompt_id": "p1", "client_id": cid, "sid": cid,
                                          "note": f"for client {cid}", "by": {cid: 1}}, cid)
    node = b"5"
    await srv.send_bytes(3, struct.pack(">I", len(node)) + node + f"client {cid}".encode(), cid)
    live = await receive_all(tele)
    late = await comfy.ws("/telemetry")
    hello = await hello_of(late)
    replay = await receive_all(late)
    name = ps.pseudonym(cid)
    everything = [json.dumps(hello)] + [f if isinstance(f, str) else f.decode("utf-8", "replace")
                                        for f in live + replay]
    text = "\n".join(everything)
    assert cid not in text
    assert [q["client_id"] for q in hello["queue"]["pending"]] == [name, name]
    queued = [json.loads(f)["data"] for f in live if isinstance(f, str) and "telemetry.queued" in f]
    assert [q["client_id"] for q in queued] == [name, name]
    custom = [json.loads(f)["data"] for f in live if isinstance(f, str) and "custom.status" in f]
    assert custom == [{"prompt_id": "p1", "client_id": name, "sid": name,
                       "note": f"for client {name}", "by": {name: 1}}]
    (binary,) = [f for f in live if isinstance(f, bytes)]
    assert binary == struct.pack(">II", 3, 1) + b"5" + f"client {name}".encode()
    assert any("custom.status" in f for f in replay)
    # ComfyUI's own client still gets its own id.
    assert cid in "".join(f if isinstance(f, str) else "" for f in await receive_all(own))

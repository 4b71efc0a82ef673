"""Credentials never leave, whatever the frame: in binary progress text, as a dictionary key,
short ones named as hidden inputs, and after any number of other prompts with keys came and
went (kept per prompt while ComfyUI holds the prompt, forgotten after)."""

import json
import struct

from comfyui_telemetry.redact import MARK, Redactor
from conftest import hello_of, queue_item, receive, receive_all, start_prompt

TOKEN = "tok-victim-0123456789"
KEY = "key-victim-9876543210"


def text_frame(node, text):
    node = node.encode()
    return struct.pack(">II", 3, len(node)) + node + text.encode()


async def test_progress_text_is_redacted_and_re_encoded(comfy):
    srv = comfy.server
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    srv.prompt_queue.put(queue_item(1, "p", extra={"auth_token_comfy_org": TOKEN}))
    await receive_all(tele)
    await srv.send_bytes(3, struct.pack(">I", 2) + "12".encode() + f"calling é with {TOKEN}!".encode())
    await srv.send_bytes(3, struct.pack(">I", 2) + b"12" + "nothing secret é".encode())
    first, second = await receive_all(tele)
    assert first == text_frame("12", f"calling é with {MARK}!")
    assert second == text_frame("12", "nothing secret é")


async def test_a_credential_used_as_a_key_and_short_named_credentials_are_scrubbed(comfy):
    srv = comfy.server
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    srv.prompt_queue.put(queue_item(1, "p", extra={"auth_token_comfy_org": TOKEN,
                                                   "api_key_comfy_org": "k9"}))
    await receive_all(tele)
    await srv.send_json("executed", {"prompt_id": "p", "node": "3",
                                     "output": {"tokens": {TOKEN: "valid", "k9x": 1},
                                                "text": ["ak9"]}})
    (frame,) = await receive_all(tele)
    data = json.loads(frame)["data"]
    assert data["output"]["tokens"] == {MARK: "valid", MARK + "x": 1}
    assert data["output"]["text"] == ["a" + MARK]


async def test_after_1000_other_prompts_with_keys_the_victims_error_is_still_clean(comfy):
    srv = comfy.server
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    srv.prompt_queue.put(queue_item(0, "victim", extra={"auth_token_comfy_org": TOKEN,
                                                        "api_key_comfy_org": KEY}))
    for i in range(1, 1001):
        srv.prompt_queue.put(queue_item(i, f"other-{i}",
                                        extra={"auth_token_comfy_org": f"made-up-token-{i:05d}"}))
        # Deleted from the queue again (ComfyUI's "delete queue item").
        srv.prompt_queue.queue = [it for it in srv.prompt_queue.queue if it[1] != f"other-{i}"]
    prompts, values = comfy.hub.redactor.remembered()
    assert prompts < 200, prompts  # the deleted prompts were forgotten ...
    await start_prompt(srv, "victim", "ui")  # ... the victim, still pending, was not
    await srv.send_json("execution_error", {
        "prompt_id": "victim", "node_id": "2", "node_type": "ApiNode",
        "exception_message": f"401 for {TOKEN}", "traceback": [f"key={KEY}"],
        "current_inputs": {"auth_token_comfy_org": [TOKEN], "x": [KEY]}}, "ui")
    live = await receive_all(tele)
    late = await comfy.ws("/telemetry")
    await hello_of(late)
    replay = await receive_all(late)
    for frames in (live, replay):
        (err,) = [json.loads(f)["data"] for f in frames if "execution_error" in f]
        assert err["exception_message"] == f"401 for {MARK}"
        assert err["current_inputs"] == {"x": [MARK]}
        assert TOKEN not in "".join(frames) and KEY not in "".join(frames)


def test_a_prompts_values_live_as_long_as_comfyui_holds_the_prompt():
    live = {"in-history"}
    r = Redactor(live_prompts=lambda: live)
    r.remember((0, "in-history", {}, {"auth_token_comfy_org": "history-secret"}, []))
    for i in range(300):
        r.remember((i, f"gone-{i}", {}, {"auth_token_comfy_org": f"secret-{i:04d}"}, []))
    assert r.text("x", {"t": "history-secret"}) == json.dumps({"type": "x", "data": {"t": MARK}})
    assert r.text("x", {"t": "secret-0000"}) == json.dumps({"type": "x", "data": {"t": "secret-0000"}})
    live.clear()  # ComfyUI dropped it from its history
    for i in range(300, 900):
        r.remember((i, f"gone-{i}", {}, {"auth_token_comfy_org": f"secret-{i:04d}"}, []))
    assert r.text("x", {"t": "history-secret"}) == json.dumps({"type": "x", "data": {"t": "history-secret"}})
    assert r.remembered()[0] < 2 * 600 + 64


def test_the_same_value_in_two_prompts_stays_until_both_are_gone():
    live = {"a", "b"}
    r = Redactor(live_prompts=lambda: live)
    r.remember((0, "a", {}, {"api_key_comfy_org": "shared-key"}, []))
    r.remember((1, "b", {}, {"api_key_comfy_org": "shared-key"}, []))
    live.discard("a")
    for i in range(200):
        r.remember((i, f"x{i}", {}, {"api_key_comfy_org": f"k{i}"}, []))
    assert MARK in r.text("e", {"m": "shared-key"})


async def test_progress_text_without_any_secret_is_the_very_same_frame(comfy):
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    frame = text_frame("7", "step 3/20")
    await comfy.server.send_bytes(3, frame[4:])
    assert await receive(tele) == frame

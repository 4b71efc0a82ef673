"""Benchmark (not a test): what redaction costs ComfyUI's event loop per mirrored message, with 0,
1, 1 000 and 10 000 remembered secrets (credentials and client ids of queued prompts).

Each mirrored JSON message is built into the subscribers' text once and scanned once by the
compiled matcher (comfyui_telemetry/matcher.py); the figure is the time per message relative to
no secrets at all, measured in the same run (a `progress_state` of a 12-node prompt, as ComfyUI
0.3.64 sends it after every node step, and a binary progress-text frame).

    python3 bench/extension_redact.py [--messages 20000]
"""

import argparse
import json
import secrets
import struct
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from comfyui_telemetry.redact import Redactor  # noqa: E402


def progress_state(prompt_id, nodes=12):
    return {"prompt_id": prompt_id, "nodes": {
        str(i): {"value": float(i % 7), "max": 20.0, "state": "running" if i == nodes else "finished",
                 "node_id": str(i), "prompt_id": prompt_id, "display_node_id": str(i),
                 "parent_node_id": None, "real_node_id": str(i)} for i in range(1, nodes + 1)}}


def redactor_with(n):
    r = Redactor(live_prompts=lambda: None)  # nothing is forgotten: n stays n
    for i in range(n):
        extra = {"client_id": uuid.uuid4().hex,
                 "api_key_comfy_org": "comfyui-" + secrets.token_hex(24),
                 "auth_token_comfy_org": secrets.token_urlsafe(32)}
        r.remember((i, f"p-{i}", {}, extra, []))
    return r


def per_message(fn, messages):
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(messages):
            fn()
        best = min(best, (time.perf_counter() - start) / messages)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20000)
    args = ap.parse_args()
    data = progress_state(str(uuid.uuid4()))
    node = b"12"
    frame = struct.pack(">II", 3, len(node)) + node + ("step 7/20, 3.2 it/s " * 4).encode()
    print(f"progress_state: {len(json.dumps({'type': 'progress_state', 'data': data}))} bytes; "
          f"progress text frame: {len(frame)} bytes")
    rows = []
    for n in (0, 1, 1000, 10000):
        r = redactor_with(n)
        assert r.text("progress_state", data) == json.dumps({"type": "progress_state", "data": data})
        t_json = per_message(lambda: r.text("progress_state", data), args.messages)
        t_bin = per_message(lambda: r.binary(frame), args.messages)
        rows.append((n, r.remembered()[1], t_json, t_bin))
    base_json, base_bin = rows[0][2], rows[1][3]
    # With no value remembered, a binary frame is forwarded untouched (nothing to look for): its
    # ratio is against one remembered secret.
    print("secrets  values  progress_state  vs 0    progress text  vs 1")
    for n, values, t_json, t_bin in rows:
        print(f"{n:7d} {values:7d} {t_json * 1e3:11.4f} ms {t_json / base_json:6.2f}x"
              f" {t_bin * 1e3:10.4f} ms {t_bin / base_bin:6.2f}x")


if __name__ == "__main__":
    main()

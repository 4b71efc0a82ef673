"""Benchmark (not a test): does the extension's fan-out delay ComfyUI's own client?

Starts a real ComfyUI 0.3.64 with the extension (tests/comfyui/harness.py), connects ComfyUI's own
client on /ws, and runs a preview-heavy prompt with 0 and then N /telemetry subscribers (all
reading), alternating, several times. For each run it records when the own client received its
last message (`executing` with node null) counted from the POST, and the mean time at which each
progress step arrived after `execution_start`. The ratio with/without subscribers is the figure.

    eval "$(bash tests/comfyui/venv.sh)"
    "$COMFYUI_PYTHON" bench/extension_fanout.py [--subscribers 50] [--steps 300] [--step-seconds 0.01] [--reps 3]
"""

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "comfyui"))
from harness import ComfyServer  # noqa: E402
import workflows as wf  # noqa: E402


async def raw_subscriber(server, counter):
    """A subscriber that reads as fast as it can and discards (the cost of parsing frames in
    this process would compete with ComfyUI for the same cores and blur what is measured)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(sock, (
        f"GET /telemetry HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode())

    async def drain():
        try:
            while True:
                chunk = await loop.sock_recv(sock, 1 << 18)
                if not chunk:
                    return
                counter[1] += len(chunk)
        except (asyncio.CancelledError, OSError):
            pass
        finally:
            sock.close()

    return asyncio.ensure_future(drain())


async def one_run(server, session, subscribers, steps, step_seconds):
    ws_url = server.url.replace("http", "ws", 1)
    tasks, counters = [], []
    for _ in range(subscribers):
        c = [0, 0]
        counters.append(c)
        tasks.append(await raw_subscriber(server, c))
    client_id = "bench-" + str(time.monotonic_ns())
    own = await session.ws_connect(f"{ws_url}/ws?clientId={client_id}", max_msg_size=0)
    await own.receive(timeout=10)  # its status
    await asyncio.sleep(0.5)  # hellos and catch-ups delivered
    prompt = wf.success(steps=steps, step_seconds=step_seconds, preview=True)
    posted = time.perf_counter()
    async with session.post(server.url + "/prompt", json={"prompt": prompt, "client_id": client_id}) as r:
        body = await r.json()
    pid = body["prompt_id"]
    start_at, progress_at, frames = None, [], 0
    while True:
        msg = await own.receive(timeout=120)
        now = time.perf_counter()
        frames += 1
        if msg.type != aiohttp.WSMsgType.TEXT:
            continue
        m = json.loads(msg.data)
        d = m.get("data") or {}
        if d.get("prompt_id") != pid:
            continue
        if m["type"] == "execution_start":
            start_at = now
        elif m["type"] == "progress" and start_at is not None:
            progress_at.append(now - start_at)
        elif m["type"] == "executing" and d.get("node") is None:
            done = now - posted
            break
    await own.close()
    await asyncio.sleep(0.3)
    for t in tasks:
        t.cancel()
    await asyncio.sleep(0.3)
    mirrored = sum(c[1] for c in counters)
    return done, statistics.mean(progress_at), frames, mirrored


async def main(args):
    server = ComfyServer(
        extension=True,
        env={"COMFY_TELEMETRY_GPU_INTERVAL": "1", "COMFY_TELEMETRY_MAX_SUBSCRIBERS": str(args.subscribers + 8)},
    ).start()
    try:
        results = {0: [], args.subscribers: []}
        async with aiohttp.ClientSession() as session:
            await one_run(server, session, 0, 20, 0.0)  # warm-up: models of nothing, caches, JIT of PIL
            for rep in range(args.reps):
                for n in (0, args.subscribers):
                    done, mean_progress, frames, mirrored = await one_run(
                        server, session, n, args.steps, args.step_seconds
                    )
                    results[n].append((done, mean_progress))
                    print(f"rep {rep} subscribers={n:3d}: last message after {done:.3f} s, "
                          f"mean progress arrival {mean_progress:.3f} s, own frames {frames}, "
                          f"bytes delivered to subscribers {mirrored}", flush=True)
        base_done = statistics.median(d for d, _ in results[0])
        fan_done = statistics.median(d for d, _ in results[args.subscribers])
        base_prog = statistics.median(p for _, p in results[0])
        fan_prog = statistics.median(p for _, p in results[args.subscribers])
        print(json.dumps({
            "subscribers": args.subscribers, "steps": args.steps, "step_seconds": args.step_seconds,
            "median_last_message_s": {"none": round(base_done, 3), "with": round(fan_done, 3)},
            "ratio_last_message": round(fan_done / base_done, 3),
            "median_mean_progress_arrival_s": {"none": round(base_prog, 3), "with": round(fan_prog, 3)},
            "ratio_progress_arrival": round(fan_prog / base_prog, 3),
        }, indent=1))
    finally:
        server.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=50)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--step-seconds", type=float, default=0.01)
    ap.add_argument("--reps", type=int, default=3)
    asyncio.run(main(ap.parse_args()))

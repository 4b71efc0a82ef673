"""Benchmark: what a webhook receiver that never answers costs ComfyUI's own client.

    eval "$(bash tests/comfyui/venv.sh)"; "$COMFYUI_PYTHON" tests/comfyui/bench_webhooks.py [ROUNDS] [--same]

Two ComfyUI 0.3.64 with the extension side by side: one without webhooks (the baseline), one
whose webhook URL is a socket on 127.0.0.1 that accepts and never answers (timeout 5 s, so every
delivery hangs for its full timeout and is retried). In alternating rounds, a client queues a
short prompt and waits for it in /history; the ratio of the medians is what the webhooks cost
it (the issue's bound: 1.05).
"""

import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "comfyui_telemetry" / "tests"))

import workflows as wf  # noqa: E402
from harness import ComfyServer  # noqa: E402
from receiver import Receiver  # noqa: E402


def one_run(server, client):
    """Queue to history entry, polled every 5 ms (the harness's 100 ms poll would dominate)."""
    t = time.perf_counter()
    status, body = server.queue_prompt(wf.success(steps=2, step_seconds=0.05), client_id=client)
    assert status == 200, body
    pid = body["prompt_id"]
    while not (server.history(pid) or {}).get(pid, {}).get("status"):
        time.sleep(0.005)
    return time.perf_counter() - t


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    same = "--same" in sys.argv  # A/A: both without webhooks, to see the noise floor
    rx = Receiver(hang=True)
    base = ComfyServer(extension=True).start()
    hooked = ComfyServer(extension=True, env={} if same else {
        "COMFY_TELEMETRY_WEBHOOK_URL": rx.url, "COMFY_TELEMETRY_WEBHOOK_TIMEOUT": "5"}).start()
    try:
        client = "bench-" + uuid.uuid4().hex[:8]
        for s in (base, hooked):  # warm-up: first runs load nodes and fill caches
            one_run(s, client)
            one_run(s, client)
        plain, webhooks = [], []
        for i in range(rounds):  # alternating which goes first
            pair = [(base, plain), (hooked, webhooks)]
            for server, out in pair if i % 2 == 0 else reversed(pair):
                out.append(one_run(server, client))
        p, w = statistics.median(plain), statistics.median(webhooks)
        print(f"rounds: {rounds}; client time per run, median: without webhooks {p * 1000:.0f} ms, "
              f"{'the same again (A/A)' if same else 'with a receiver that never answers'} "
              f"{w * 1000:.0f} ms; ratio {w / p:.3f}")
    finally:
        base.close()
        hooked.close()
        rx.close()


if __name__ == "__main__":
    main()

"""Benchmark: what a webhook receiver that never answers costs ComfyUI's own client.

    eval "$(bash tests/comfyui/venv.sh)"; "$COMFYUI_PYTHON" tests/comfyui/bench_webhooks.py [ROUNDS]

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
    t = time.perf_counter()
    status, body = server.queue_prompt(wf.success(steps=2, step_seconds=0.05), client_id=client)
    assert status == 200, body
    server.wait_history(body["prompt_id"])
    return time.perf_counter() - t


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rx = Receiver(hang=True)
    base = ComfyServer(extension=True).start()
    hooked = ComfyServer(extension=True, env={"COMFY_TELEMETRY_WEBHOOK_URL": rx.url,
                                              "COMFY_TELEMETRY_WEBHOOK_TIMEOUT": "5"}).start()
    try:
        client = "bench-" + uuid.uuid4().hex[:8]
        for s in (base, hooked):  # warm-up: first runs load nodes and fill caches
            one_run(s, client)
            one_run(s, client)
        plain, webhooks = [], []
        for _ in range(rounds):
            plain.append(one_run(base, client))
            webhooks.append(one_run(hooked, client))
        p, w = statistics.median(plain), statistics.median(webhooks)
        print(f"rounds: {rounds}; client time per run, median: without webhooks {p * 1000:.0f} ms, "
              f"with a receiver that never answers {w * 1000:.0f} ms; ratio {w / p:.3f}")
    finally:
        base.close()
        hooked.close()
        rx.close()


if __name__ == "__main__":
    main()

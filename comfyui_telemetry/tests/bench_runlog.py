"""Benchmark of the run log at 100 000 runs (not a test: run it by hand, numbers go in the README).

    .venv-ext/bin/python comfyui_telemetry/tests/bench_runlog.py [RUNS]

Fills a store with realistic runs (10 nodes, an output, parameters, a tenth failed), then times
the API's queries through the store (median of repeats, read-only connection like the API's),
the bytes each run costs on disk, and what the hooks cost ComfyUI's loop per run.
"""

import json
import os
import random
import statistics
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from comfyui_telemetry.runlog import query as Q  # noqa: E402
from comfyui_telemetry.runlog import record  # noqa: E402
from comfyui_telemetry.runlog.config import Settings  # noqa: E402
from comfyui_telemetry.runlog.params import Hidden  # noqa: E402
from comfyui_telemetry.runlog.recorder import Recorder  # noqa: E402
from comfyui_telemetry.runlog.store import Store  # noqa: E402
from comfyui_telemetry.runlog.writer import Writer  # noqa: E402

CKPTS = ["sd15.safetensors", "sdxl_base.safetensors", "flux1-dev.safetensors", "juggernaut.safetensors"]
PROMPT = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "x"}},
    "10": {"class_type": "LoraLoader", "inputs": {"lora_name": "detail.safetensors", "strength_model": 0.8,
                                                   "strength_clip": 1.0, "model": ["4", 0], "clip": ["4", 1]}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a photo of a red fox in the snow, detailed fur", "clip": ["10", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, low quality", "clip": ["10", 1]}},
    "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7.0, "sampler_name": "euler",
                                               "scheduler": "normal", "denoise": 1.0, "model": ["10", 0],
                                               "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "fox", "images": ["8", 0]}},
    "11": {"class_type": "ImageScale", "inputs": {"image": ["8", 0], "width": 512, "height": 512,
                                                  "upscale_method": "bilinear", "crop": "disabled"}},
    "12": {"class_type": "PreviewImage", "inputs": {"images": ["11", 0]}},
}
T0 = 1_760_000_000_000


def make(i, rng):
    prompt = {k: {"class_type": v["class_type"], "inputs": dict(v["inputs"])} for k, v in PROMPT.items()}
    prompt["4"]["inputs"]["ckpt_name"] = rng.choice(CKPTS)
    prompt["3"]["inputs"]["seed"] = rng.randrange(1 << 48)
    prompt["3"]["inputs"]["steps"] = rng.choice((20, 25, 30))
    run = record.Run(f"{rng.getrandbits(128):032x}", T0 + i * 30_000)
    run.queued(T0 + i * 30_000, i, f"c-{rng.randrange(20):010x}", prompt, {}, store_text=True,
               hidden=Hidden(), env={"comfyui_version": "0.3.64", "torch_version": "2.8.0"})
    t = T0 + i * 30_000 + 100
    run.message("execution_start", {"timestamp": t}, t)
    run.message("execution_cached", {"nodes": ["4", "10"]}, t)
    for node in ("5", "6", "7", "3", "8", "9", "11", "12"):
        t += rng.randrange(50, 3000)
        run.message("executing", {"node": node}, t)
    run.memory({"name": "NVIDIA GeForce RTX 4090", "vram_total": 24 << 30, "vram_free": 10 << 30})
    failed = rng.random() < 0.1
    if failed:
        run.end("execution_error", {"node_id": "3", "node_type": "KSampler", "exception_type": "torch.OutOfMemoryError",
                                    "exception_message": "CUDA out of memory", "traceback": ["  File x", "    y"]},
                t, t)
    else:
        run.add_outputs("9", {"images": [{"filename": f"fox_{i:06d}_.png", "subfolder": "", "type": "output"}]})
        run.end("execution_success", {}, t, t)
    return run


def timed(fn, repeat=30):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(7)
    folder = tempfile.mkdtemp(prefix="runlog-bench-")
    store = Store(folder).open()
    t = time.perf_counter()
    batch = []
    for i in range(n):
        run = make(i, rng)
        batch.append((run.doc(), run.search_text()))
        if len(batch) == 1000:
            store.write(batch)
            batch = []
    if batch:
        store.write(batch)
    fill = time.perf_counter() - t
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stats = store.stats()
    print(f"runs: {n}  fill: {fill:.1f} s ({fill / n * 1e6:.0f} us per run written)  fts5 trigram: {stats['fts']}")
    print(f"bytes per run: file {os.path.getsize(store.path) / n:.0f} B, rows {stats['bytes'] / n:.0f} B (accounted for retention)")

    def listing(**params):
        return lambda: store.list(Q.parse(params), raw=True)  # as the API does

    first, cursor = store.list(Q.parse({"limit": "50"}))
    for _ in range(200):
        _, cursor = store.list(Q.parse({"limit": "50", "cursor": cursor}))
    cases = [
        ("list 50, newest first", listing(limit="50")),
        ("list 50, page 201 by cursor", listing(limit="50", cursor=cursor)),
        ("list 50, slowest first", listing(limit="50", sort="duration")),
        ("list 50, status=failed", listing(limit="50", status="failed")),
        ("list 50, checkpoint text 'flux1-dev'", listing(limit="50", q="flux1-dev")),
        ("text search, one output 'fox_042170'", listing(limit="50", q="fox_042170")),
        ("text search, rare 'out of memory' + asc", listing(limit="50", q="out of memory", order="asc")),
        ("count all", lambda: store.count(Q.parse({}))),
        ("count text 'flux1-dev'", lambda: store.count(Q.parse({"q": "flux1-dev"}))),
        ("get one run", lambda: store.get(first[10]["prompt_id"])),
    ]
    # Baseline, same run: the least a page costs, reading 50 stored documents by primary key.
    conn = store.reader()
    some = [r[0] for r in conn.execute("SELECT id FROM runs ORDER BY id DESC LIMIT 50").fetchall()]
    marks = ",".join("?" * len(some))

    def baseline():
        for (blob,) in conn.execute(f"SELECT doc FROM run_docs WHERE id IN ({marks})", some).fetchall():
            zlib.decompress(blob)

    base = timed(baseline)
    print(f"{'baseline: read 50 documents by id':45s} {base:8.2f} ms")
    for name, fn in cases:
        t = timed(fn)
        print(f"{name:45s} {t:8.2f} ms   ({t / base:.1f}x baseline)")

    # What the hooks cost ComfyUI's loop per run: one put and the ~30 messages a run sends.
    writer = Writer(store, Settings(queue_size=10_000_000))
    rec = Recorder(writer)
    item = (1, "p", PROMPT, {"client_id": "c"}, ["9"])
    msgs = [("execution_start", {"prompt_id": "p", "timestamp": 1})] + [
        ("executing", {"node": str(k), "prompt_id": "p"}) for k in PROMPT] + [
        ("progress", {"value": s, "max": 20, "node": "3", "prompt_id": "p"}) for s in range(20)] + [
        ("execution_success", {"prompt_id": "p", "timestamp": 2})]
    runs = 2000
    t = time.perf_counter()
    for _ in range(runs):
        rec.on_put(item)
        for event, data in msgs:
            rec.on_message(event, data)
        writer.queue.clear()
    per = (time.perf_counter() - t) / runs * 1e6
    # Baseline, same run: what ComfyUI itself spends encoding those messages (send_json).
    t = time.perf_counter()
    for _ in range(runs):
        for event, data in msgs:
            json.dumps({"type": event, "data": data})
    enc = (time.perf_counter() - t) / runs * 1e6
    print(f"hooks on ComfyUI's loop: {per:.0f} us per run ({len(msgs) + 1} calls); "
          f"ComfyUI's own JSON encoding of those messages: {enc:.0f} us ({per / enc:.2f}x)")
    store.close()
    store.close_readers()


if __name__ == "__main__":
    main()

"""Record real ComfyUI sessions into the fixture format, for the native core tests.

    python tests/comfyui/record.py OUT_DIR [SCENARIO ...]

Starts a fresh ComfyUI 0.3.64 with the extension (harness.py), and for each scenario records, on
one monotonic clock, the same files as ../shared/fixtures/comfyui (see its README):
`ws_submitter.jsonl` (the socket whose clientId queues the prompts), `ws_observer.jsonl` (a
passive /ws socket), plus `ws_telemetry.jsonl` (a /telemetry subscriber, from before the first
prompt unless the scenario says otherwise), `actions.jsonl`, `prompts.json` and `history.json`
(ComfyUI's `/history/{id}` entry of every prompt, the reference the tests compare with).
Each scenario gets a server of its own, so histories and caches never leak between them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))
import workflows as wf  # noqa: E402
from harness import ComfyServer  # noqa: E402

T0 = time.monotonic()


def stamp() -> dict:
    now = time.monotonic()
    return {"t_mono_ms": round(now * 1000, 3), "t_rel_ms": round((now - T0) * 1000, 3)}


# Install paths in tracebacks are replaced by placeholders, as in ../shared/fixtures/comfyui.
SCRUB: dict[str, str] = {}


def scrub(text: str) -> str:
    for path, placeholder in SCRUB.items():
        text = text.replace(path, placeholder)
    return text


class Recorder:
    """One socket written to one .jsonl file, frame by frame as it arrives."""

    def __init__(self, path: Path):
        self.file = open(path, "w")

    def write(self, entry: dict):
        self.file.write(scrub(json.dumps({**stamp(), **entry})) + "\n")
        self.file.flush()

    async def run(self, ws, client_id=None):
        self.write({"kind": "open", "note": "client-side: websocket opened", "clientId": client_id})
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.write({"kind": "text", "msg": json.loads(msg.data)})
            elif msg.type == aiohttp.WSMsgType.BINARY:
                data = bytes(msg.data)
                head = [int.from_bytes(data[i : i + 4], "big") for i in (0, 4) if len(data) >= i + 4]
                self.write(
                    {
                        "kind": "binary",
                        "len": len(data),
                        "u32_be": head,
                        "b64": base64.b64encode(data[:1536]).decode(),
                        "b64_truncated": len(data) > 1536,
                    }
                )
        self.write({"kind": "closed", "note": "client-side: websocket closed"})


class Session:
    def __init__(self, server: ComfyServer, out: Path, http: aiohttp.ClientSession):
        self.server, self.out, self.http = server, out, http
        self.client_id = uuid.uuid4().hex
        self.actions = Recorder(out / "actions.jsonl")
        self.prompts: dict = {}
        self.prompt_ids: list[str] = []
        self.tasks = []

    async def open(self, name: str, path: str, client_id=None):
        ws = await self.http.ws_connect(self.server.url.replace("http", "ws", 1) + path)
        self.tasks.append(asyncio.ensure_future(Recorder(self.out / f"{name}.jsonl").run(ws, client_id)))
        self.tasks[-1].ws = ws
        await asyncio.sleep(0.2)
        return ws

    async def post(self, label, prompt, client_id="submitter", extra_data=None):
        body = {"prompt": prompt}
        if client_id == "submitter":
            client_id = self.client_id
        if client_id is not None:
            body["client_id"] = client_id
        if extra_data:
            body["extra_data"] = extra_data
        async with self.http.post(self.server.url + "/prompt", json=body) as r:
            response = await r.json()
            status = r.status
        self.actions.write(
            {"kind": "http", "label": label, "method": "POST", "path": "/prompt", "request_body": body,
             "status": status, "response": response}
        )
        self.prompts[label] = {"request": body, "status": status, "response": response}
        if status == 200:
            self.prompt_ids.append(response["prompt_id"])
        return response.get("prompt_id")

    async def interrupt(self, prompt_id=None):
        body = {"prompt_id": prompt_id} if prompt_id else None
        async with self.http.post(self.server.url + "/interrupt", json=body) as r:
            self.actions.write({"kind": "http", "method": "POST", "path": "/interrupt", "request_body": body,
                                "status": r.status})

    async def wait_done(self, timeout=120):
        await asyncio.to_thread(self.server.wait_idle, timeout)
        for pid in self.prompt_ids:
            await asyncio.to_thread(self.server.wait_history, pid, timeout)

    async def wait_progress(self, prompt_id, steps=3):
        """Until the prompt has made `steps` progress steps (read from /queue + history polling)."""
        await asyncio.sleep(0.3 * steps)

    async def finish(self):
        await self.wait_done()
        await asyncio.sleep(0.5)
        history = {pid: (self.server.history(pid) or {}).get(pid) for pid in self.prompt_ids}
        (self.out / "history.json").write_text(scrub(json.dumps(history, indent=1)))
        (self.out / "prompts.json").write_text(json.dumps(self.prompts, indent=1))
        for t in self.tasks:
            await t.ws.close()
        await asyncio.gather(*self.tasks, return_exceptions=True)


# --- scenarios: each gets a fresh server ------------------------------------------------------------
async def s_parallel_async(s: Session):
    """Three async nodes running concurrently (progress_state shows them running at once)."""
    await s.post("parallel", wf.parallel_async(branches=3, seconds=1.0))


async def s_expansion(s: Session):
    """A node expanding into three TelemetrySleep nodes `2.0.0.N` (display_node 2)."""
    await s.post("expand", wf.expansion(count=3))


async def s_blocked(s: Session):
    """ExecutionBlocker with a message (an `execution_error` of type ExecutionBlocked, history says
    success) and one without (silent)."""
    await s.post("blocked_message", wf.blocked(message="blocked on purpose"))
    await s.wait_done()
    await s.post("blocked_silent", wf.blocked(message=""))


async def s_no_client_id_pair(s: Session):
    """Two prompts without client_id back to back: only progress/progress_state reach anyone."""
    await s.post("first", wf.success(steps=4, step_seconds=0.1), client_id=None)
    await s.post("second", wf.success(steps=4, step_seconds=0.1), client_id=None)


async def s_catch_up_mid_run(s: Session):
    """A /telemetry subscriber that connects while a second prompt runs, after a first finished:
    its hello names the running prompt and its catch-up replays the earlier prompt's messages."""
    await s.post("first", wf.success(steps=2, step_seconds=0.05))
    await s.wait_done()
    await s.post("second", wf.success(steps=20, step_seconds=0.1))
    await asyncio.sleep(1.0)
    await s.open("ws_telemetry_late", "/telemetry")


async def s_burst(s: Session):
    """Ten short prompts from another client, queued at once."""
    for i in range(10):
        await s.post(f"burst_{i}", wf.success(steps=1, step_seconds=0.01))


async def s_cached_partial(s: Session):
    """A run, the identical prompt again (all cached), then a changed sleep (partial cache)."""
    seed = wf.fresh_seed()
    await s.post("first", wf.success(seed=seed, steps=2, step_seconds=0.05))
    await s.wait_done()
    await s.post("cached", wf.success(seed=seed, steps=2, step_seconds=0.05))
    await s.wait_done()
    await s.post("partial", wf.success(seed=seed + 1, steps=2, step_seconds=0.05))


async def s_error_interrupt(s: Session):
    """An error with HTML in its message, then a long prompt interrupted by its id."""
    await s.post("error", wf.error())
    await s.wait_done()
    pid = await s.post("interrupted", wf.long_running(steps=100, step_seconds=0.05))
    await asyncio.sleep(1.5)
    await s.interrupt(pid)


async def s_validation(s: Session):
    """A prompt that fails validation (HTTP 400, no run), then a good one."""
    await s.post("invalid", wf.invalid())
    await s.post("valid", wf.success(steps=1, step_seconds=0.01))


SCENARIOS = {
    "l_parallel_async": s_parallel_async,
    "m_expansion": s_expansion,
    "n_blocked": s_blocked,
    "o_no_client_id_pair": s_no_client_id_pair,
    "p_catch_up_mid_run": s_catch_up_mid_run,
    "q_burst": s_burst,
    "r_cached_partial": s_cached_partial,
    "s_error_interrupt": s_error_interrupt,
    "t_validation": s_validation,
}


async def record(out: Path, name: str):
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    server = ComfyServer(extension=True, env={"COMFY_TELEMETRY_GPU_INTERVAL": "0"}).start()
    SCRUB.update({str(server.src): "<comfyui>", str(server.base): "<base>", str(server.python.parent.parent): "<venv>"})
    try:
        async with aiohttp.ClientSession() as http:
            s = Session(server, folder, http)
            await s.open("ws_telemetry", "/telemetry")
            await s.open("ws_observer", f"/ws?clientId={uuid.uuid4().hex}")
            await s.open("ws_submitter", f"/ws?clientId={s.client_id}", s.client_id)
            await SCENARIOS[name](s)
            await s.finish()
    finally:
        server.close()
    print(f"recorded {name}: {len(s.prompt_ids)} prompts", flush=True)


def main():
    out = Path(sys.argv[1])
    names = sys.argv[2:] or list(SCENARIOS)
    for name in names:
        asyncio.run(record(out, name))


if __name__ == "__main__":
    main()

"""A batch in the style of ComfyUI's own execution tests (tests/execution/test_execution.py and
test_async_nodes.py of ComfyUI 0.3.64), queued back to back by one client, for the end-to-end check
that a dashboard lists every accepted prompt as ComfyUI ran it.

ComfyUI's source tarball leaves its tests and their `testing-pack` nodes out, so the prompts use our
own test nodes (`tests/comfyui_nodes/`: sleeps, failures, expansion, async, loops, blockers) and stock
ones, one prompt per behaviour those tests cover: caching (the same prompt twice, a partly cached
one), errors (a node that raises, sync and async, inside an expansion), validation failures that
ComfyUI refuses with 400 (literal out of range, missing input, cycle, unknown node, an empty
`partial_execution_targets`), expansion, concurrent async nodes, a for-loop (expansion repeated,
1 to 4 iterations), partial execution (`partial_execution_targets`, which 0.3.64 supports), blockers
and an interrupt.

The client is the one ComfyUI's tests use: a `/ws?clientId=` socket plus `POST /prompt`. What ComfyUI
**executed** for a prompt is read from that socket, as those tests do: the prompt's own nodes named
in `execution_cached`, or reported `finished` in a `progress_state` frame (ComfyUI sends both only to
the client that queued the prompt). Subgraph nodes (`4.0.0.2`) count through their prompt node, which
ComfyUI finishes after its subgraph. This is a lower bound for the nodes a dashboard counts done;
the upper bound is the prompt nodes its outputs to execute (`/history`'s `prompt[4]`) need.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import workflows
from workflows import _empty, _save, _sleep


def _preview(src):
    return {"class_type": "PreviewImage", "inputs": {"images": [src, 0]}}


def _async(src, seconds=0.3, seed=0, fail=""):
    inputs = {"image": [src, 0], "seconds": seconds, "steps": 3, "seed": seed}
    if fail:
        inputs["fail"] = fail
    return {"class_type": "TelemetryAsyncSleep", "inputs": inputs}


def _loop(remaining, seed):
    return {"1": _empty(color=7), "2": {"class_type": "TelemetryForLoop",
            "inputs": {"image": ["1", 0], "remaining": remaining, "step_seconds": 0.02, "seed": seed}},
            "3": _save("2")}


def _async_expand(seed, fail=""):
    return {"1": _empty(color=3), "2": {"class_type": "TelemetryAsyncExpand",
            "inputs": {"image": ["1", 0], "count": 3, "seconds": 0.3, "seed": seed, "fail": fail}},
            "3": _save("2")}


def prompts(seed):
    """(name, prompt, partial_execution_targets or None, accepted?) in queueing order."""
    cached = workflows.success(seed=seed, steps=2, step_seconds=0.02)
    return [
        ("full_cache", cached, None, True),
        ("full_cache_again", json.loads(json.dumps(cached)), None, True),
        ("partial_cache", workflows.success(seed=seed + 1, steps=2, step_seconds=0.02), None, True),
        ("error", workflows.error("raised on purpose", seed=seed), None, True),
        ("async_error", {"1": _empty(), "2": _async("1", seed=seed, fail="async boom"), "3": _save("2")}, None, True),
        ("sync_error_during_async", {"1": _empty(), "2": _async("1", 0.5, seed), "3": _preview("2"),
                                     "4": {"class_type": "TelemetryFail", "inputs": {"image": ["1", 0], "message": "sync"}},
                                     "5": _preview("4")}, None, True),
        ("validation_error_literal", {"1": _empty(), "2": _sleep("1", steps=0), "3": _save("2")}, None, False),
        ("validation_error_missing_input", workflows.invalid(), None, False),
        ("cycle_error", {"1": _sleep("2"), "2": _sleep("1"), "3": _save("2")}, None, False),
        ("missing_node_error", {"1": _empty(), "2": {"class_type": "NoSuchTestNode", "inputs": {}}}, None, False),
        ("partial_execution_empty_list", {"1": _empty(), "2": _save("1")}, [], False),
        ("expansion", workflows.expansion(seed=seed), None, True),
        ("parallel_sleep_nodes", workflows.parallel_async(seconds=0.3, seed=seed), None, True),
        ("parallel_sleep_expansion", _async_expand(seed), None, True),
        ("error_inside_expansion", _async_expand(seed + 1, fail="expanded boom"), None, True),
        *[(f"for_loop_{n}", _loop(n, seed), None, True) for n in range(1, 5)],
        ("partial_execution_included_outputs", {"1": _empty(color=1), "2": _empty(color=2), "3": _save("1"),
                                                "4": _save("2")}, ["3"], True),
        ("partial_execution_excluded_outputs", {"1": _empty(color=1), "2": _empty(color=2), "3": _empty(color=4),
                                                "4": _save("1"), "5": _save("2"), "6": _save("3")}, ["4", "6"], True),
        ("partial_execution_dependencies", {"1": _empty(), "2": _sleep("1", 1, 0.02, seed=seed), "3": _preview("2"),
                                            "4": _sleep("2", 1, 0.02, seed=seed), "5": _save("4")}, ["5"], True),
        ("execution_block", workflows.blocked("blocked on purpose", seed=seed), None, True),
        ("async_with_execution_blocker", {"1": _empty(), "2": _async("1", 0.2, seed), "3": {
            "class_type": "TelemetryBlock", "inputs": {"image": ["2", 0], "block": True, "message": ""}},
            "4": _preview("3"), "5": _preview("2")}, None, True),
        ("interrupted", workflows.long_running(steps=100, step_seconds=0.05, seed=seed), None, True),
    ]


def needed(prompt, outputs):
    """The prompt nodes ComfyUI has to run for `outputs` (its outputs to execute, from /history):
    they and every node they link to. ComfyUI runs no other prompt node."""
    seen, todo = set(), list(outputs)
    while todo:
        node = todo.pop()
        if node in seen or node not in prompt:
            continue
        seen.add(node)
        for value in prompt[node].get("inputs", {}).values():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
                todo.append(str(value[0]))
    return seen


class _Seen:
    """What the queueing client's socket said about one prompt."""

    def __init__(self, nodes):
        self.nodes = set(nodes)
        self.executed: set[str] = set()
        self.ended = False

    def frame(self, kind, data):
        if kind == "execution_cached":
            self.executed |= self.nodes & set(data.get("nodes") or [])
        elif kind == "progress_state":
            self.executed |= {i for i, n in (data.get("nodes") or {}).items()
                              if i in self.nodes and n.get("state") == "finished"}
        elif kind in ("execution_success", "execution_error", "execution_interrupted"):
            self.ended = True


async def _run(url, passes, seed, timeout):
    client_id = f"batch-{uuid.uuid4()}"
    ws_url = url.replace("http://", "ws://") + f"/ws?clientId={client_id}"
    rows, seen, interrupt = [], {}, set()
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
        for n in range(passes):
            for name, prompt, targets, _ in prompts(seed):
                body = {"prompt": prompt, "client_id": client_id}
                if targets is not None:
                    body["partial_execution_targets"] = targets
                async with http.post(url + "/prompt", json=body) as r:
                    answer = await r.json(content_type=None)
                row = {"name": name, "pass": n, "http": r.status, "nodes": len(prompt), "targets": targets,
                       "prompt_id": answer.get("prompt_id") if r.status == 200 else None,
                       "refused": None if r.status == 200 else (answer.get("error") or {}).get("type")}
                rows.append(row)
                if row["prompt_id"]:
                    seen[row["prompt_id"]] = _Seen(prompt)
                    if name == "interrupted":
                        interrupt.add(row["prompt_id"])

        async def stop_soon(pid):
            await asyncio.sleep(0.5)
            async with http.post(url + "/interrupt", json={"prompt_id": pid}) as r:
                await r.read()

        tasks = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not all(s.ended for s in seen.values()):
            msg = await ws.receive(timeout=max(1.0, deadline - loop.time()))
            if msg.type != aiohttp.WSMsgType.TEXT:
                if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise RuntimeError(f"socket closed: {msg}")
                continue
            frame = json.loads(msg.data)
            data = frame.get("data") or {}
            pid = data.get("prompt_id")
            if pid in seen:
                seen[pid].frame(frame.get("type"), data)
                if frame.get("type") == "execution_start" and pid in interrupt:
                    tasks.append(asyncio.ensure_future(stop_soon(pid)))
        await asyncio.gather(*tasks)
        for row in rows:
            pid = row["prompt_id"]
            if not pid:
                continue
            row["executed"] = sorted(seen[pid].executed)
            while True:
                async with http.get(f"{url}/history/{pid}") as r:
                    entry = (await r.json()).get(pid)
                if entry and entry.get("status", {}).get("status_str"):
                    break
                if loop.time() > deadline:
                    raise RuntimeError(f"{pid} not in /history")
                await asyncio.sleep(0.1)
            row["status_str"] = entry["status"]["status_str"]
            row["needed"] = len(needed(entry["prompt"][2], entry["prompt"][4]))
            row["messages"] = [m[0] for m in entry["status"].get("messages", [])]
    return rows


def run_batch(url, passes=2, seed=None, timeout=300.0):
    """Queues `passes` copies of the batch back to back (the same prompts each time, so later copies
    are cached as far as ComfyUI's cache keeps them) and waits for all of them: one row per queued
    prompt with its HTTP status, prompt id, node count, and, when accepted, the nodes ComfyUI
    executed and its `/history` status."""
    seed = workflows.fresh_seed() * 1000 if seed is None else seed
    return asyncio.run(_run(url, passes, seed, timeout))

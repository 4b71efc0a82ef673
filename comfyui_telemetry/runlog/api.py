"""`/telemetry/runs`: the run log over HTTP, under the extension's origin policy
(`origin.refusal`, the same as `/telemetry`), each route also under `/api` (ComfyUI's
`add_routes`). Reads run on a small thread pool of their own with read-only connections;
deletes go through the writer thread (one writer), so a deleted run that is still running does
not come back. Shapes: docs/telemetry-protocol.md, "Run log".

    GET    /telemetry/runs?status=&exit_reason=&gpu=&workflow=&graph_hash=&client=&q=
                          &since=&until=&sort=start|duration&order=desc|asc&limit=&cursor=
    GET    /telemetry/runs/count?(same filters)
    GET    /telemetry/runs/{prompt_id}
    DELETE /telemetry/runs/{prompt_id}
    POST   /telemetry/runs/delete      {"prompt_ids": [...]}
"""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from .. import origin
from .._log import once
from . import query as Q

MAX_BULK = 10000
NO_STORE = {"Cache-Control": "no-store"}
READY_WAIT = 10.0


def _json(data, status=200):
    return web.json_response(data, status=status, headers=NO_STORE)


def _raw(body):
    return web.Response(body=body, content_type="application/json", charset="utf-8",
                        headers=NO_STORE)


def register(server, log):
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="telemetry-runlog-read")
    log.pool = pool

    async def read(fn, *args):
        def call():
            if not log.writer.ready.wait(READY_WAIT) or log.writer.error is not None:
                raise Unavailable()
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(pool, call)

    async def guarded(request, work):
        refused = origin.refusal(request)
        if refused is not None:
            return refused
        try:
            return await work()
        except Q.BadQuery as e:
            return _json({"error": str(e)}, 400)
        except Unavailable:
            return _json({"error": "run log unavailable"}, 503)
        except Exception as e:
            once("runlog-api", "run log request failed: %r", e, exc_info=True)
            return _json({"error": "run log request failed"}, 500)

    async def list_runs(request):
        async def work():
            q = Q.parse(request.query)
            runs, cursor = await read(log.store.list, q, True)
            # The stored documents are sent as they are: no parse, no re-encode.
            body = b"".join([b'{"runs":[', b",".join(runs), b'],"next_cursor":',
                             json.dumps(cursor).encode(), b',"limit":', str(q.limit).encode(), b"}"])
            return _raw(body)
        return await guarded(request, work)

    async def count_runs(request):
        async def work():
            q = Q.parse(request.query)
            return _json({"count": await read(log.store.count, q)})
        return await guarded(request, work)

    async def get_run(request):
        async def work():
            doc = await read(log.store.get, request.match_info["prompt_id"], True)
            return _raw(doc) if doc is not None else _json({"error": "no such run"}, 404)
        return await guarded(request, work)

    async def delete_one(request):
        async def work():
            n = await delete(log, [request.match_info["prompt_id"]])
            return _json({"deleted": n}, 200 if n else 404)
        return await guarded(request, work)

    async def delete_many(request):
        async def work():
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
                raise Q.BadQuery("body must be JSON") from None
            ids = body.get("prompt_ids") if isinstance(body, dict) else None
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise Q.BadQuery("prompt_ids must be a list of strings")
            if len(ids) > MAX_BULK:
                raise Q.BadQuery(f"at most {MAX_BULK} prompt_ids at once")
            return _json({"deleted": await delete(log, ids)})
        return await guarded(request, work)

    # The plain paths first: aiohttp matches routes in the order they were added.
    server.routes.get("/telemetry/runs")(list_runs)
    server.routes.get("/telemetry/runs/count")(count_runs)
    server.routes.post("/telemetry/runs/delete")(delete_many)
    server.routes.get("/telemetry/runs/{prompt_id}")(get_run)
    server.routes.delete("/telemetry/runs/{prompt_id}")(delete_one)


class Unavailable(Exception):
    """The store did not open (or not yet)."""


async def delete(log, prompt_ids):
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def answer(value):
        loop.call_soon_threadsafe(_settle, future, value)

    if not log.writer.submit(("delete", list(prompt_ids), answer), urgent=True):
        raise Unavailable()
    return await asyncio.wait_for(future, 30.0)


def _settle(future, value):
    if not future.done():
        future.set_result(value)

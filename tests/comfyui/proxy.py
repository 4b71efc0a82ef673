"""A same-origin development proxy for the integration tests, like `trunk serve`'s.

    python proxy.py http://127.0.0.1:PORT DIST_DIR

Serves the built dashboard from DIST_DIR (single-page-app fallback to index.html) on a free port,
and forwards WebSockets (`/ws`, `/api/ws`, `/telemetry`, `/api/telemetry`) and HTTP under `/api/` to
ComfyUI, exactly what Trunk.toml's proxies forward: every other path is the dashboard's (a root
`/history` is the history page here, not ComfyUI's JSON). An `Origin` equal to the proxy's own is rewritten
to ComfyUI's, as a same-origin deployment would present it; any other Origin passes unchanged.
Prints `{"url": ...}` once listening. Runs in ComfyUI's venv (aiohttp is there).
"""

import asyncio
import json
import socket
import sys
from pathlib import Path

import aiohttp
from aiohttp import WSMsgType, web

WS_PATHS = {"/ws", "/api/ws", "/telemetry", "/api/telemetry"}
HTTP_PREFIXES = ("/api/",)
HOP = {"host", "connection", "upgrade", "content-length", "transfer-encoding", "accept-encoding"}


def main():
    backend, dist = sys.argv[1].rstrip("/"), Path(sys.argv[2]).resolve()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    own_origin = f"http://127.0.0.1:{port}"

    def headers_for(request):
        out = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        if out.get("Origin") == own_origin:
            out["Origin"] = backend
        out.pop("Sec-WebSocket-Extensions", None)
        out.pop("Sec-WebSocket-Key", None)
        out.pop("Sec-WebSocket-Version", None)
        return out

    async def ws_proxy(request):
        session: aiohttp.ClientSession = request.app["session"]
        url = backend.replace("http", "ws", 1) + request.path_qs
        try:
            upstream = await session.ws_connect(url, headers=headers_for(request), autoping=True)
        except aiohttp.WSServerHandshakeError as e:
            return web.Response(status=e.status)
        down = web.WebSocketResponse(autoping=True)
        await down.prepare(request)

        async def pump(src, dst):
            async for msg in src:
                if msg.type == WSMsgType.TEXT:
                    await dst.send_str(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await dst.send_bytes(msg.data)
                else:
                    break

        tasks = [asyncio.ensure_future(pump(upstream, down)), asyncio.ensure_future(pump(down, upstream))]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            t.cancel()
        await upstream.close()
        await down.close()
        return down

    async def http_proxy(request):
        session: aiohttp.ClientSession = request.app["session"]
        body = await request.read()
        try:
            async with session.request(
                request.method, backend + request.path_qs, headers=headers_for(request), data=body or None
            ) as r:
                payload = await r.read()
                keep = {k: v for k, v in r.headers.items() if k.lower() not in HOP | {"content-encoding"}}
                return web.Response(status=r.status, body=payload, headers=keep)
        except aiohttp.ClientError:
            return web.Response(status=502)

    async def handle(request):
        path = request.path
        if path in WS_PATHS and request.headers.get("Upgrade", "").lower() == "websocket":
            return await ws_proxy(request)
        if path.startswith(HTTP_PREFIXES):
            return await http_proxy(request)
        file = (dist / path.lstrip("/")).resolve()
        if dist in file.parents and file.is_file():
            return web.FileResponse(file)
        return web.FileResponse(dist / "index.html", headers={"Cache-Control": "no-cache"})

    async def on_startup(app):
        app["session"] = aiohttp.ClientSession(auto_decompress=True)

    async def on_cleanup(app):
        await app["session"].close()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)

    async def run():
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print(json.dumps({"url": own_origin}), flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

"""The read-only `GET /telemetry` WebSocket.

Registered on `PromptServer.instance.routes` at import time, before ComfyUI's `add_routes()`,
which serves it at `/telemetry` and `/api/telemetry`. ComfyUI's own middlewares still run, but
the extension applies its own origin policy first (`origin.py`): ComfyUI's lets `Origin: null`
and non-loopback Hosts through, and `--enable-cors-header` turns it off.
"""

import ipaddress
import json
import socket

import aiohttp
from aiohttp import web

from . import origin, protocol, snapshot
from .framequeue import LIFECYCLE
from ._log import once

DEFAULT_HEARTBEAT = 30.0

# What ComfyUI 0.3.64 answers (comfy_api/feature_flags.py SERVER_FEATURE_FLAGS, recorded in
# f_preview_metadata); used when that module is not importable.
DEFAULT_SERVER_FEATURES = {"supports_preview_metadata": True, "max_upload_size": 104857600}


def server_features():
    try:
        from comfy_api import feature_flags  # noqa: PLC0415

        features = feature_flags.get_server_features()
        if isinstance(features, dict):
            return features
    except Exception:
        pass
    return dict(DEFAULT_SERVER_FEATURES)


def feature_flags_reply(text):
    """Answer to a first frame `{"type":"feature_flags",...}`, as ComfyUI's /ws does."""
    try:
        msg = json.loads(text)
    except Exception:
        return None
    if isinstance(msg, dict) and msg.get("type") == "feature_flags":
        return protocol.envelope("feature_flags", server_features())
    return None


def send_buffer_size(queue_bytes):
    """The kernel send buffer for a subscriber's socket: a quarter of its queue budget, within
    [64 kB, 1 MB]. Left to autotuning, Linux lets it grow to 4 MB, memory that a reader who
    stopped reading would cost on top of its budget."""
    return max(64 * 1024, min(1024 * 1024, int(queue_bytes) // 4))


def _limit_send_buffer(transport, queue_bytes):
    try:
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer_size(queue_bytes))
    except Exception as e:  # not a TCP socket (a test transport, a UNIX socket): leave it
        once("sndbuf", "could not size a /telemetry socket's send buffer: %r", e)


BUSY = {
    "full": ("COMFY_TELEMETRY_MAX_SUBSCRIBERS",
             "Every /telemetry slot is taken; close a dashboard or raise the setting."),
    "reserved": ("COMFY_TELEMETRY_RESERVED",
                 "The slots left are kept for dashboards opened in a browser; close a script "
                 "or lower the setting."),
    "peer-limit": ("COMFY_TELEMETRY_MAX_PER_PEER",
                   "This address already holds its share of /telemetry slots; close one or "
                   "raise the setting."),
}


def remote_peer(request):
    """The peer's address when it is not loopback (the per-peer limit), else None. Behind a
    reverse proxy on the same machine every peer is the proxy: not limited."""
    remote = getattr(request, "remote", None)
    if not remote:
        return None
    try:
        if ipaddress.ip_address(remote.split("%", 1)[0]).is_loopback:
            return None
    except ValueError:
        return None  # a UNIX socket or unknown: not a remote address
    return remote


def busy_response(reason):
    setting, message = BUSY[reason]
    return web.json_response(
        {"error": "telemetry-busy", "reason": reason, "setting": setting, "message": message},
        status=503, headers={"Cache-Control": "no-store", "Retry-After": "5"})


def make_handler(server, hub, summaries=None, heartbeat=DEFAULT_HEARTBEAT, compress=False):
    """The `/telemetry` handler: origin policy, subscriber cap, then a read-only socket.

    `heartbeat` (seconds, None = off) pings the client and closes a socket whose pong does not
    come back. `compress` is off by default: permessage-deflate would compress every frame once
    per subscriber on ComfyUI's event loop (previews are compressed images already).
    """

    async def telemetry_ws(request):
        refused = origin.refusal(request)
        if refused is not None:
            return refused
        # Past the origin policy, an Origin header means a page (the dashboard) opened it.
        browser = request.headers.get("Origin") is not None
        peer = remote_peer(request)
        busy = hub.refusal(browser, peer)
        if busy is not None:
            once("busy-" + busy, "refusing a /telemetry subscriber (%s, %d connected); see %s",
                 busy, len(hub.subscribers), BUSY[busy][0])
            return busy_response(busy)
        ws = web.WebSocketResponse(heartbeat=heartbeat or None, compress=compress)
        await ws.prepare(request)
        transport = request.transport
        _limit_send_buffer(transport, hub.queue_bytes)
        try:
            direct = transport is not None and not ws.compress and hasattr(transport, "write")
            sub = hub.subscribe(ws, lambda n: snapshot.hello(server, hub, n, summaries),
                                abort=transport.abort if transport is not None else None,
                                transport=transport if direct else None,
                                browser=browser, peer=peer)
        except Exception as e:
            once("subscribe", "could not set up a /telemetry subscriber: %r", e, exc_info=True)
            await ws.close()
            return ws
        try:
            first = True
            async for msg in ws:
                # Read-only: client frames are ignored, except a first feature_flags frame.
                if msg.type == aiohttp.WSMsgType.TEXT and first:
                    reply = feature_flags_reply(msg.data)
                    if reply is not None:
                        sub.push(reply, LIFECYCLE)
                first = False
        except Exception as e:
            once("ws-read", "/telemetry read failed: %r", e)
        finally:
            hub.unsubscribe(sub)
        return ws

    return telemetry_ws


def make_stats_handler(hub):
    """`GET /telemetry/stats`: what each subscriber's queue holds and has lost, and the catch-up
    buffer's size, against their limits (JSON; same origin policy)."""

    async def telemetry_stats(request):
        refused = origin.refusal(request)
        if refused is not None:
            return refused
        return web.json_response(hub.stats(), headers={"Cache-Control": "no-store"})

    return telemetry_stats

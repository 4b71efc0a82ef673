"""The read-only `GET /telemetry` WebSocket.

Registered on `PromptServer.instance.routes` at import time, before ComfyUI's `add_routes()`,
which serves it at `/telemetry` and `/api/telemetry` behind ComfyUI's own middlewares (the
origin check or `--enable-cors-header`), exactly like `/ws`.
"""

import json

import aiohttp
from aiohttp import web

from . import protocol, snapshot
from ._log import once

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


def make_handler(server, hub):
    async def telemetry_ws(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        try:
            sub = hub.subscribe(ws, lambda n: snapshot.hello(server, hub, n))
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
                        sub.push(reply, force=True)
                first = False
        except Exception as e:
            once("ws-read", "/telemetry read failed: %r", e)
        finally:
            hub.unsubscribe(sub)
        return ws

    return telemetry_ws

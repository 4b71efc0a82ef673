"""A fake ComfyUI `server` module shaped like ComfyUI 0.3.64's, installed before the package.

Modelled on ComfyUI server.py (class PromptServer: `instance`, `routes = web.RouteTableDef()`,
`sockets` keyed by clientId, `/ws` sending `status` with `sid` on connect, `send` dispatching to
`send_json` / `send_bytes`, `send_sync` via `loop.call_soon_threadsafe(messages.put_nowait)`,
`add_routes()` adding every RouteDef again under `/api`), execution.py (PromptQueue with put,
get, task_done, get_current_queue, get_tasks_remaining) and middleware/origin_middleware.py
(403 when a loopback Host and the Origin differ). Only what the extension touches is modelled.
"""

import asyncio
import copy
import heapq
import ipaddress
import json
import logging
import os
import struct
import sys
import threading
import types
import urllib.parse
import uuid

import aiohttp
import pytest
from aiohttp import web

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(PACKAGE_DIR))

PREVIEW_IMAGE = 1
UNENCODED_PREVIEW_IMAGE = 2
TEXT = 3
PREVIEW_IMAGE_WITH_METADATA = 4


async def send_socket_catch_exception(function, message):
    try:
        await function(message)
    except (aiohttp.ClientError, aiohttp.ClientPayloadError, ConnectionResetError,
            BrokenPipeError, ConnectionError) as err:
        logging.warning("send error: %s", err)


def _is_loopback(host):
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@web.middleware
async def origin_only_middleware(request, handler):
    host = request.headers.get("Host")
    origin = request.headers.get("Origin")
    if host and origin:
        parsed = urllib.parse.urlparse(origin)
        host_name, _, host_port = host.rpartition(":") if ":" in host else (host, "", "")
        if parsed.netloc and _is_loopback(host_name or host):
            o_host, o_port = parsed.hostname, parsed.port
            same = o_host == (host_name or host) and (
                not host_port or o_port is None or str(o_port) == host_port
            )
            if not same:
                return web.Response(status=403)
    return await handler(request)


class PromptQueue:
    def __init__(self, server):
        self.server = server
        self.mutex = threading.RLock()
        self.not_empty = threading.Condition(self.mutex)
        self.task_counter = 0
        self.queue = []
        self.currently_running = {}
        self.history = {}

    def put(self, item):
        with self.mutex:
            heapq.heappush(self.queue, item)
            self.server.queue_updated()
            self.not_empty.notify()

    def get(self, timeout=None):
        with self.not_empty:
            while len(self.queue) == 0:
                self.not_empty.wait(timeout=timeout)
                if timeout is not None and len(self.queue) == 0:
                    return None
            item = heapq.heappop(self.queue)
            i = self.task_counter
            self.currently_running[i] = copy.deepcopy(item)
            self.task_counter += 1
            self.server.queue_updated()
            return (item, i)

    def task_done(self, item_id, history_result=None, status=None):
        with self.mutex:
            prompt = self.currently_running.pop(item_id)
            self.history[prompt[1]] = {"prompt": prompt, "outputs": {}, "status": status}
            self.server.queue_updated()

    def get_current_queue(self):
        with self.mutex:
            out = list(self.currently_running.values())
            return out, copy.deepcopy(self.queue)

    def get_tasks_remaining(self):
        with self.mutex:
            return len(self.queue) + len(self.currently_running)


class PromptServer:
    instance = None

    def __init__(self, loop):
        PromptServer.instance = self
        self.prompt_queue = PromptQueue(self)
        self.loop = loop
        self.messages = asyncio.Queue()
        self.number = 0
        self.app = web.Application(middlewares=[origin_only_middleware])
        self.sockets = dict()
        self.sockets_metadata = dict()
        routes = web.RouteTableDef()
        self.routes = routes
        self.last_node_id = None
        self.last_prompt_id = None
        self.client_id = None

        @routes.get("/ws")
        async def websocket_handler(request):
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            sid = request.rel_url.query.get("clientId", "")
            if sid:
                self.sockets.pop(sid, None)
            else:
                sid = uuid.uuid4().hex
            self.sockets[sid] = ws
            self.sockets_metadata[sid] = {"feature_flags": {}}
            try:
                await self.send("status", {"status": self.get_queue_info(), "sid": sid}, sid)
                if self.client_id == sid and self.last_node_id is not None:
                    await self.send("executing", {"node": self.last_node_id}, sid)
                first_message = True
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        data = json.loads(msg.data)
                        if first_message and data.get("type") == "feature_flags":
                            self.sockets_metadata[sid]["feature_flags"] = data.get("data", {})
                            await self.send("feature_flags", {
                                "supports_preview_metadata": True,
                                "max_upload_size": 104857600}, sid)
                        first_message = False
            finally:
                self.sockets.pop(sid, None)
                self.sockets_metadata.pop(sid, None)
            return ws

        @routes.get("/queue")
        async def get_queue(request):
            running, pending = self.prompt_queue.get_current_queue()
            return web.json_response({"queue_running": running, "queue_pending": pending})

        @routes.post("/prompt")
        async def post_prompt(request):
            json_data = await request.json()
            number = self.number
            self.number += 1
            prompt = json_data["prompt"]
            prompt_id = str(json_data.get("prompt_id", uuid.uuid4()))
            extra_data = dict(json_data.get("extra_data", {}))
            if "client_id" in json_data:
                extra_data["client_id"] = json_data["client_id"]
            outputs = [k for k, v in prompt.items() if v.get("class_type") == "SaveImage"]
            self.prompt_queue.put((number, prompt_id, prompt, extra_data, outputs))
            return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": {}})

    def add_routes(self):
        api_routes = web.RouteTableDef()
        for route in self.routes:
            if isinstance(route, web.RouteDef):
                api_routes.route(route.method, "/api" + route.path)(route.handler, **route.kwargs)
        self.app.add_routes(api_routes)
        self.app.add_routes(self.routes)

    def get_queue_info(self):
        return {"exec_info": {"queue_remaining": self.prompt_queue.get_tasks_remaining()}}

    async def send(self, event, data, sid=None):
        if isinstance(data, (bytes, bytearray)):
            await self.send_bytes(event, data, sid)
        else:
            await self.send_json(event, data, sid)

    def encode_bytes(self, event, data):
        if not isinstance(event, int):
            raise RuntimeError(f"Binary event types must be integers, got {event}")
        message = bytearray(struct.pack(">I", event))
        message.extend(data)
        return message

    async def send_bytes(self, event, data, sid=None):
        message = self.encode_bytes(event, data)
        if sid is None:
            for ws in list(self.sockets.values()):
                await send_socket_catch_exception(ws.send_bytes, message)
        elif sid in self.sockets:
            await send_socket_catch_exception(self.sockets[sid].send_bytes, message)

    async def send_json(self, event, data, sid=None):
        message = {"type": event, "data": data}
        if sid is None:
            for ws in list(self.sockets.values()):
                await send_socket_catch_exception(ws.send_json, message)
        elif sid in self.sockets:
            await send_socket_catch_exception(self.sockets[sid].send_json, message)

    def send_sync(self, event, data, sid=None):
        self.loop.call_soon_threadsafe(self.messages.put_nowait, (event, data, sid))

    def queue_updated(self):
        self.send_sync("status", {"status": self.get_queue_info()})

    async def publish_loop(self):
        while True:
            msg = await self.messages.get()
            await self.send(*msg)


# --- the fake `server` module, then the package, as ComfyUI's startup would do --------------

fake_server = types.ModuleType("server")
fake_server.PromptServer = PromptServer
fake_server.BinaryEventTypes = types.SimpleNamespace(
    PREVIEW_IMAGE=PREVIEW_IMAGE, UNENCODED_PREVIEW_IMAGE=UNENCODED_PREVIEW_IMAGE,
    TEXT=TEXT, PREVIEW_IMAGE_WITH_METADATA=PREVIEW_IMAGE_WITH_METADATA)
sys.modules["server"] = fake_server

_startup_loop = asyncio.new_event_loop()
STARTUP_SERVER = PromptServer(_startup_loop)

import comfyui_telemetry  # noqa: E402  (installs on STARTUP_SERVER, like ComfyUI's import)
from comfyui_telemetry.extension import install  # noqa: E402


class Comfy:
    """One fake ComfyUI with the extension installed, served by aiohttp's test client."""

    def __init__(self, server, ext, client):
        self.server = server
        self.ext = ext
        self.client = client

    @property
    def hub(self):
        return self.ext.hub

    async def ws(self, path="/ws", **params):
        return await self.client.ws_connect(path, params=params or None)

    async def flush(self):
        """Lets queued send_sync messages, subscriber tasks and socket reads run."""
        for _ in range(3):
            while not self.server.messages.empty():
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.02)


@pytest.fixture
def no_gpu():
    """A sampler that says little, for tests that do not look at GPU samples."""
    return lambda: {"device": "cpu", "name": "fake", "cpu_only": True}


@pytest.fixture
async def make_comfy(aiohttp_client, no_gpu):
    made = []

    async def make(**options):
        options.setdefault("sampler", no_gpu)
        options.setdefault("gpu_interval", 60.0)
        loop = asyncio.get_running_loop()
        server = PromptServer(loop)
        ext = install(server, **options)
        server.add_routes()
        publisher = loop.create_task(server.publish_loop())
        client = await aiohttp_client(server.app)
        made.append(publisher)
        return Comfy(server, ext, client)

    yield make
    for task in made:
        task.cancel()


@pytest.fixture
async def comfy(make_comfy):
    return await make_comfy()


async def receive(ws, timeout=2.0, gpu=False):
    """Next data frame: str for text, bytes for binary; None on timeout or close.
    `telemetry.gpu` samples are skipped unless `gpu` is set."""
    while True:
        try:
            msg = await ws.receive(timeout=timeout)
        except asyncio.TimeoutError:
            return None
        if msg.type == aiohttp.WSMsgType.TEXT:
            if not gpu and msg.data.startswith('{"type": "telemetry.gpu"'):
                continue
            return msg.data
        if msg.type == aiohttp.WSMsgType.BINARY:
            return msg.data
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                        aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
            return None


async def receive_all(ws, quiet=0.3, gpu=False):
    """Every frame until the socket has been quiet for `quiet` seconds."""
    out = []
    while True:
        frame = await receive(ws, timeout=quiet, gpu=gpu)
        if frame is None:
            return out
        out.append(frame)


def parsed(frames):
    return [json.loads(f) if isinstance(f, str) else f for f in frames]


def types_of(frames):
    return [json.loads(f)["type"] if isinstance(f, str) else "<binary>" for f in frames]


async def hello_of(ws):
    frame = await receive(ws)
    assert isinstance(frame, str), frame
    msg = json.loads(frame)
    assert msg["type"] == "telemetry.hello", msg
    return msg["data"]


PROMPT = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64}},
    "2": {"class_type": "SlowProgress", "inputs": {"image": ["1", 0], "steps": 3}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0]}},
}


def queue_item(number, prompt_id, client_id="ui", prompt=PROMPT, extra=None):
    extra_data = {"client_id": client_id} if client_id is not None else {}
    extra_data.update(extra or {})
    return (number, prompt_id, prompt, extra_data, ["3"])


async def start_prompt(server, prompt_id, sid):
    """The opening messages execution.py sends for a prompt (a_success order)."""
    await server.send_json("execution_start", {"prompt_id": prompt_id, "timestamp": 1}, sid)
    await server.send_json("execution_cached", {"nodes": [], "prompt_id": prompt_id,
                                                "timestamp": 2}, sid)


async def run_node(server, prompt_id, sid, node, steps=2):
    server.last_node_id = node
    server.last_prompt_id = prompt_id
    await server.send_json("executing", {"node": node, "display_node": node,
                                         "prompt_id": prompt_id}, sid)
    for i in range(1, steps + 1):
        await server.send_json("progress", {"value": i, "max": steps, "prompt_id": prompt_id,
                                            "node": node}, sid)


async def finish_prompt(server, prompt_id, sid):
    await server.send_json("execution_success", {"prompt_id": prompt_id, "timestamp": 3}, sid)
    await server.send_json("executing", {"node": None, "prompt_id": prompt_id}, sid)
    server.last_node_id = None

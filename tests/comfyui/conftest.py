"""Fixtures for the real-ComfyUI integration tests: servers (with and without the extension) and
WebSocket clients that record what they receive."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

import aiohttp
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from harness import ComfyServer  # noqa: E402


@pytest.fixture(scope="session")
def comfy_ext():
    """One ComfyUI with the extension for the whole session (starting one costs ~15 s)."""
    server = ComfyServer(extension=True, env={"COMFY_TELEMETRY_GPU_INTERVAL": "0.5"}).start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def comfy_stock():
    """One stock ComfyUI (no extension) for comparisons."""
    server = ComfyServer(extension=False).start()
    yield server
    server.close()


@pytest.fixture
def fresh_ext():
    """A ComfyUI with the extension of the test's own (for restarts and empty histories)."""
    server = ComfyServer(extension=True).start()
    yield server
    server.close()


class Socket:
    """A WebSocket client that records every frame: text frames parsed, binary frames as bytes."""

    def __init__(self, ws, session):
        self.ws = ws
        self.session = session
        self.frames: list = []
        self._new = asyncio.Event()
        self._task = asyncio.ensure_future(self._read())

    async def _read(self):
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.frames.append(json.loads(msg.data))
            elif msg.type == aiohttp.WSMsgType.BINARY:
                self.frames.append(bytes(msg.data))
            self._new.set()
        self._new.set()

    def texts(self, type_=None, prompt_id=None):
        out = [f for f in self.frames if isinstance(f, dict)]
        if type_ is not None:
            out = [f for f in out if f.get("type") == type_]
        if prompt_id is not None:
            out = [f for f in out if (f.get("data") or {}).get("prompt_id") == prompt_id]
        return out

    async def wait_for(self, predicate, timeout=30.0):
        """The first frame (in arrival order) for which predicate holds, waiting for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = 0
        while True:
            for f in self.frames[seen:]:
                if predicate(f):
                    return f
            seen = len(self.frames)
            remaining = deadline - loop.time()
            if remaining <= 0 or self.ws.closed and seen == len(self.frames):
                raise AssertionError(f"no matching frame within {timeout}s; got {len(self.frames)} frames")
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def wait_type(self, type_, prompt_id=None, timeout=30.0):
        return await self.wait_for(
            lambda f: isinstance(f, dict)
            and f.get("type") == type_
            and (prompt_id is None or (f.get("data") or {}).get("prompt_id") == prompt_id),
            timeout,
        )

    async def close(self):
        await self.ws.close()
        self._task.cancel()


@pytest.fixture
async def connect():
    """connect(server, path, headers=None) -> Socket; everything is closed after the test."""
    session = aiohttp.ClientSession()
    sockets = []

    async def _connect(server, path, headers=None):
        ws = await session.ws_connect(server.url.replace("http", "ws", 1) + path, headers=headers or {})
        sock = Socket(ws, session)
        sockets.append(sock)
        return sock

    yield _connect
    for s in sockets:
        await s.close()
    await session.close()


@pytest.fixture
def client_id():
    return "it-" + uuid.uuid4().hex[:12]

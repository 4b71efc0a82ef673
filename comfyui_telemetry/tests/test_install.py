"""Loading the package the way ComfyUI does, and never breaking startup."""

import importlib.util
import sys
import types

from aiohttp import web

import comfyui_telemetry
from conftest import PACKAGE_DIR, STARTUP_SERVER


def test_exports_no_nodes():
    assert comfyui_telemetry.NODE_CLASS_MAPPINGS == {}
    assert comfyui_telemetry.NODE_DISPLAY_NAME_MAPPINGS == {}


def test_import_installs_on_prompt_server_instance():
    ext = comfyui_telemetry.EXTENSION
    assert ext is not None and ext.server is STARTUP_SERVER
    paths = [r.path for r in STARTUP_SERVER.routes if isinstance(r, web.RouteDef)]
    assert "/telemetry" in paths
    assert hasattr(STARTUP_SERVER.send_json, "__comfyui_telemetry_original__")
    assert hasattr(STARTUP_SERVER.send_bytes, "__comfyui_telemetry_original__")
    assert hasattr(STARTUP_SERVER.prompt_queue.put, "__comfyui_telemetry_original__")


def test_install_is_idempotent():
    from comfyui_telemetry.extension import install

    before = STARTUP_SERVER.send_json
    assert install(STARTUP_SERVER) is comfyui_telemetry.EXTENSION
    assert STARTUP_SERVER.send_json is before


def _load_like_comfyui(name):
    # ComfyUI's nodes.load_custom_node: spec_from_file_location on the folder's __init__.py.
    spec = importlib.util.spec_from_file_location(
        name, f"{PACKAGE_DIR}/__init__.py", submodule_search_locations=[PACKAGE_DIR]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_a_broken_server_module_never_breaks_startup(monkeypatch, caplog):
    class Exploding:
        @property
        def routes(self):
            raise RuntimeError("boom")

    broken = types.ModuleType("server")
    broken.PromptServer = types.SimpleNamespace(instance=Exploding())
    monkeypatch.setitem(sys.modules, "server", broken)
    module = _load_like_comfyui("telemetry_broken_copy")
    assert module.EXTENSION is None
    assert module.NODE_CLASS_MAPPINGS == {}
    assert "could not install" in caplog.text


def test_no_instance_only_warns(monkeypatch):
    empty = types.ModuleType("server")
    empty.PromptServer = types.SimpleNamespace(instance=None)
    monkeypatch.setitem(sys.modules, "server", empty)
    assert _load_like_comfyui("telemetry_no_instance").EXTENSION is None


async def test_telemetry_has_its_api_twin_and_sits_behind_the_origin_check(comfy):
    for path in ("/telemetry", "/api/telemetry"):
        ws = await comfy.client.ws_connect(path)
        first = await ws.receive_json(timeout=2)
        assert first["type"] == "telemetry.hello"
        await ws.close()
    host = f"127.0.0.1:{comfy.client.port}"
    resp = await comfy.client.get(
        "/telemetry",
        headers={"Host": host, "Origin": "http://localhost:8080", "Connection": "Upgrade",
                 "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="},
    )
    assert resp.status == 403
    resp = await comfy.client.get(
        "/telemetry",
        headers={"Host": host, "Origin": f"http://{host}", "Connection": "Upgrade",
                 "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="},
    )
    assert resp.status == 101

"""Finding the built dashboard: the setting, the installed wheel `comfyui-telemetry-dashboard`,
the package's own dist/, the checkout's; and the front-end extension ComfyUI loads."""

import logging
import os
import sys
import types

import pytest

import comfyui_telemetry
from comfyui_telemetry import _log, protocol, ui
from conftest import PACKAGE_DIR


def built(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text("<!doctype html>")
    return folder


@pytest.fixture
def fake_wheel(monkeypatch, tmp_path):
    """An installed `comfyui_telemetry_dashboard` (as the wheel provides it) with a built dist/."""
    module = types.ModuleType(ui.DASHBOARD_MODULE)
    module.__version__ = protocol.EXTENSION_VERSION
    dist = built(tmp_path / "site-packages" / ui.DASHBOARD_MODULE / "dist")
    module.dist_path = lambda: str(dist)
    monkeypatch.setitem(sys.modules, ui.DASHBOARD_MODULE, module)
    monkeypatch.delenv("COMFY_TELEMETRY_DIST", raising=False)
    return module


def test_the_installed_wheel_is_found_through_its_module(fake_wheel):
    assert ui.wheel_dist() == fake_wheel.dist_path()


def test_without_the_wheel_there_is_none(monkeypatch):
    monkeypatch.delitem(sys.modules, ui.DASHBOARD_MODULE, raising=False)
    monkeypatch.setattr(ui.importlib.util, "find_spec", lambda name: None)
    assert ui.wheel_dist() is None


def test_a_broken_or_empty_wheel_is_passed_over(fake_wheel, tmp_path, caplog):
    fake_wheel.dist_path = lambda: str(tmp_path / "empty")
    assert ui.wheel_dist() is None

    def boom():
        raise RuntimeError("broken install")

    fake_wheel.dist_path = boom
    with caplog.at_level(logging.WARNING):
        assert ui.wheel_dist() is None


def test_a_wheel_of_another_version_is_used_and_said(fake_wheel, caplog):
    _log._seen.discard("wheel-version")  # said once per process
    fake_wheel.__version__ = "0.0.9"
    with caplog.at_level(logging.INFO):
        assert ui.wheel_dist() == fake_wheel.dist_path()
    assert f"comfyui-telemetry-dashboard=={protocol.EXTENSION_VERSION}" in caplog.text


def test_order_setting_then_wheel_then_own_dist_then_checkout(fake_wheel, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    pkg = repo / "comfyui_telemetry"
    pkg.mkdir(parents=True)
    built(repo / "dist")
    link = tmp_path / "custom_nodes" / "comfyui_telemetry"
    link.parent.mkdir()
    os.symlink(pkg, link)
    # The wheel beats the checkout's dist/ and the package's own dist/.
    assert ui.dist_dir(str(link)) == fake_wheel.dist_path()
    built(pkg / "dist")
    assert ui.dist_dir(str(link)) == fake_wheel.dist_path()
    # Without the wheel: the package's own dist/, then the checkout's.
    assert ui.dist_dir(str(link), find_wheel=lambda: None) == str(link / "dist")
    (pkg / "dist" / "index.html").unlink()
    (pkg / "dist").rmdir()
    assert ui.dist_dir(str(link), find_wheel=lambda: None) == str(repo / "dist")
    # An explicit setting beats everything.
    monkeypatch.setenv("COMFY_TELEMETRY_DIST", "/somewhere/dist")
    assert ui.dist_dir(str(link)) == "/somewhere/dist"


async def test_the_page_is_served_from_the_wheel(make_comfy, fake_wheel):
    comfy = await make_comfy(resolve_dist=lambda: ui.dist_dir(PACKAGE_DIR))
    r = await comfy.client.get("/telemetry/ui/")
    assert r.status == 200 and await r.text() == "<!doctype html>"


async def test_without_any_build_the_page_says_how_to_install_the_wheel(make_comfy, tmp_path):
    comfy = await make_comfy(resolve_dist=lambda: str(tmp_path / "nope"))
    text = await (await comfy.client.get("/telemetry/ui/")).text()
    assert "comfyui-telemetry-dashboard" in text
    assert "pip install -r requirements.txt" in text
    assert "--find-links" in text


def test_the_front_end_extension_is_exported_and_tiny():
    web = os.path.join(PACKAGE_DIR, comfyui_telemetry.WEB_DIRECTORY)
    scripts = [n for n in os.listdir(web) if n.endswith(".js")]
    # ComfyUI's front end loads every .js under WEB_DIRECTORY: one small file, nothing else.
    assert scripts == ["telemetry.js"]
    source = open(os.path.join(web, "telemetry.js"), encoding="utf-8").read()
    assert len(source.encode()) < 4000
    assert "registerSidebarTab" in source and "/telemetry/ui/" in source
    assert "WEB_DIRECTORY" in comfyui_telemetry.__all__


def test_the_repository_root_exports_the_same_web_directory():
    root = os.path.dirname(PACKAGE_DIR)
    text = open(os.path.join(root, "__init__.py"), encoding="utf-8").read()
    assert 'WEB_DIRECTORY = "./comfyui_telemetry/web"' in text
    assert os.path.isfile(os.path.join(root, "comfyui_telemetry", "web", "telemetry.js"))

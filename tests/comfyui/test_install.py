"""The install paths a ComfyUI user has, each in a fresh ComfyUI 0.3.64 with a throwaway Python
environment and no internet: pip only sees the local folder scripts/package.sh wrote
(`--no-index --find-links target/package/wheels`), exactly as it would see an index.

- Registry / ComfyUI-Manager / comfy-cli: the pure-Python node folder lands in
  `custom_nodes/<node id>/` and its requirements.txt is installed: the wheel serves /telemetry/ui/.
- git clone + `pip install -r requirements.txt`: the same, from the repository root.
- git clone offline without the wheel folder: pip cannot resolve the requirement (what a clone
  user gets until the wheel is on PyPI), and ComfyUI still starts with the extension.

The throwaway environment is a new venv that sees the cached ComfyUI venv's packages through a
`.pth` line (so torch is not downloaded again) and gets its own installs: the cached venv is
never changed.
"""

import subprocess
import tomllib
import urllib.request
from pathlib import Path

import pytest

from harness import REPO, ComfyServer, prepare
from test_package import ASSET, COLD_LOAD_LIMIT, _clone_into

PACKAGE = REPO / "target" / "package"
WHEELS = PACKAGE / "wheels"
VERSION = tomllib.loads((REPO / "comfyui_telemetry" / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def wheels():
    if not list(WHEELS.glob("comfyui_telemetry_dashboard-*-py3-none-any.whl")):
        pytest.fail(f"no wheel in {WHEELS}: run scripts/package.sh before these tests")
    return WHEELS


def throwaway_venv(where: Path) -> Path:
    """A new venv whose Python also sees the cached ComfyUI venv's site-packages (after its own)."""
    _, comfy_python = prepare()
    subprocess.run([str(comfy_python), "-m", "venv", str(where)], check=True, capture_output=True)
    python = where / "bin" / "python"
    cached = subprocess.run([str(comfy_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            check=True, capture_output=True, text=True).stdout.strip()
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True).stdout.strip()
    (Path(own) / "comfyui-cache.pth").write_text(cached + "\n")
    return python


def pip_install(python: Path, requirements: Path, find_links: Path | None):
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-index"]
    if find_links is not None:
        cmd += ["--find-links", str(find_links)]
    return subprocess.run(cmd + ["-r", str(requirements)], capture_output=True, text=True)


def installed_dist(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import comfyui_telemetry_dashboard as d; print(d.__version__, d.dist_path())"],
                         check=True, capture_output=True, text=True).stdout.split()
    assert out[0] == VERSION
    return Path(out[1])


def get(server, path, encoding="gzip, deflate, br, zstd"):
    req = urllib.request.Request(server.url + path, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read()


def assert_serves_the_wheel(server, dist: Path, folder: str):
    """/telemetry/ui/ sends the wheel's own brotli files, within the cold-load budget, and
    ComfyUI's page loads the sidebar script from the node folder."""
    index = (dist / "index.html").read_text()
    paths = ["/telemetry/ui/"] + sorted(set(ASSET.findall(index)))
    assert all(any(p.endswith(ext) for p in paths) for ext in (".wasm", ".js", ".css")), paths
    total = 0
    for path in paths:
        status, headers, body = get(server, path)
        name = "index.html" if path.endswith("/") else path.removeprefix("/telemetry/ui/")
        assert status == 200 and headers.get("Content-Encoding") == "br", (path, status, headers)
        assert body == (dist / (name + ".br")).read_bytes(), path
        total += len(body)
    assert total < COLD_LOAD_LIMIT, total
    status, _, listed = get(server, "/extensions", "identity")
    script = f"/extensions/{folder}/telemetry.js"
    assert status == 200 and script in listed.decode(), listed[:500]
    status, headers, body = get(server, script, "identity")
    assert status == 200 and b"registerSidebarTab" in body
    log = server.log_tail(400)
    assert "/telemetry WebSocket and /telemetry/ui/ installed" in log
    assert "Traceback" not in log and "IMPORT FAILED" not in log and "Unable to parse pyproject.toml" not in log
    return total


def fresh_server(tmp_path: Path) -> ComfyServer:
    server = ComfyServer(extension=False, test_nodes=False)
    server.python = throwaway_venv(tmp_path / "venv")
    (server.base / "custom_nodes").mkdir(parents=True, exist_ok=True)
    return server


def test_a_registry_install_with_its_requirements_from_a_local_folder_serves_the_dashboard(wheels, tmp_path):
    server = fresh_server(tmp_path)
    try:
        # What the Registry serves (and ComfyUI-Manager / comfy-cli unpack into custom_nodes/<node id>/).
        node = server.base / "custom_nodes" / "telemetry-dashboard"
        subprocess.run(["cp", "-r", str(PACKAGE / "comfyui_telemetry"), str(node)], check=True)
        assert not (node / "dist").exists() and not list(node.rglob("*.wasm"))
        pip = pip_install(server.python, node / "requirements.txt", wheels)
        assert pip.returncode == 0, pip.stdout + pip.stderr
        dist = installed_dist(server.python)
        assert str(dist).startswith(str(tmp_path / "venv")), dist  # installed into the throwaway venv
        server.start()
        total = assert_serves_the_wheel(server, dist, "telemetry-dashboard")
        print(f"\ncold load from the wheel: br {total} B")
    finally:
        server.close()


def test_a_git_clone_with_its_requirements_from_a_local_folder_serves_the_dashboard(wheels, tmp_path):
    server = fresh_server(tmp_path)
    try:
        clone = _clone_into(server.base / "custom_nodes", "comfyui-telemetry")
        assert not (clone / "dist").exists()
        pip = pip_install(server.python, clone / "requirements.txt", wheels)
        assert pip.returncode == 0, pip.stdout + pip.stderr
        dist = installed_dist(server.python)
        server.start()
        assert_serves_the_wheel(server, dist, "comfyui-telemetry")
    finally:
        server.close()


def test_offline_without_the_wheel_the_requirement_cannot_resolve_and_comfyui_still_starts(tmp_path):
    server = fresh_server(tmp_path)
    try:
        clone = _clone_into(server.base / "custom_nodes", "comfyui-telemetry")
        pip = pip_install(server.python, clone / "requirements.txt", None)
        assert pip.returncode != 0
        assert f"comfyui-telemetry-dashboard=={VERSION}" in pip.stderr, pip.stderr
        server.start()
        status, _, page = get(server, "/telemetry/ui/", "identity")
        # The page says what to install and how; the socket and the metrics work regardless.
        assert status == 200 and b"comfyui-telemetry-dashboard" in page and b"--find-links" in page
        status, _, metrics = get(server, "/telemetry/metrics", "identity")
        assert status == 200 and b"comfyui_telemetry_info" in metrics
    finally:
        server.close()

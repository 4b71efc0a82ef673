"""/telemetry/ui/: the built dashboard, with the single-page-app fallback."""

import os

import pytest

from comfyui_telemetry import ui

INDEX_FOR_ROOT = """<!doctype html><html><head><base href="/" />
<link rel="stylesheet" href="/main-1.css"/>
<script type="module">import init from '/app-2.js'; await init({ module_or_path: '/app-2_bg.wasm' });</script>
<link rel="modulepreload" href="/app-2.js"></head><body><a href="/elsewhere">x</a></body></html>"""


@pytest.fixture
def dist(tmp_path):
    d = tmp_path / "dist"
    d.mkdir()
    (d / "index.html").write_text(INDEX_FOR_ROOT)
    (d / "main-1.css").write_text("body{}")
    (d / "app-2.js").write_text("export default 1")
    (d / "app-2_bg.wasm").write_bytes(b"\x00asm\x01\x00\x00\x00")
    (d / "snippets").mkdir()
    (d / "snippets" / "x.js").write_text("// snippet")
    (tmp_path / "secret.txt").write_text("no")
    return d


async def test_serves_files_and_falls_back_to_index(make_comfy, dist):
    comfy = await make_comfy(resolve_dist=lambda: str(dist))
    c = comfy.client
    r = await c.get("/telemetry/ui/app-2_bg.wasm")
    assert r.status == 200 and await r.read() == b"\x00asm\x01\x00\x00\x00"
    r = await c.get("/telemetry/ui/snippets/x.js")
    assert r.status == 200 and await r.text() == "// snippet"
    r = await c.get("/telemetry/ui/main-1.css")
    assert r.status == 200 and r.content_type == "text/css"

    for path in ("/telemetry/ui/", "/telemetry/ui/runs/abc-123", "/telemetry/ui/index.html"):
        r = await c.get(path)
        assert r.status == 200 and r.content_type == "text/html", path
        html = await r.text()
        # Built for "/": mounted under /telemetry/ui/.
        assert '<base href="/telemetry/ui/"' in html
        assert 'href="/telemetry/ui/main-1.css"' in html
        assert "'/telemetry/ui/app-2.js'" in html and "'/telemetry/ui/app-2_bg.wasm'" in html
        assert 'href="/elsewhere"' in html  # not a dist file: untouched

    r = await c.get("/telemetry/ui/missing.js")
    assert r.status == 404
    r = await c.get("/telemetry/ui/..%2Fsecret.txt")
    assert r.status == 404
    r = await c.get("/telemetry/ui", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "/telemetry/ui/"
    # Only the plain path: no /api twin for the static UI.
    r = await c.get("/api/telemetry/ui/")
    assert r.status == 404


async def test_a_build_for_the_sub_path_is_served_unchanged(make_comfy, dist):
    html = INDEX_FOR_ROOT.replace('href="/"', 'href="/telemetry/ui/"').replace(
        '"/main-1.css"', '"/telemetry/ui/main-1.css"')
    (dist / "index.html").write_text(html)
    comfy = await make_comfy(resolve_dist=lambda: str(dist))
    r = await comfy.client.get("/telemetry/ui/some/route")
    assert await r.text() == html


async def test_without_dist_a_page_says_how_to_build(make_comfy, tmp_path):
    comfy = await make_comfy(resolve_dist=lambda: str(tmp_path / "nope"))
    r = await comfy.client.get("/telemetry/ui/")
    assert r.status == 200 and r.content_type == "text/html"
    assert "scripts/build.sh --public-url /telemetry/ui/" in await r.text()


def test_dist_location(tmp_path, monkeypatch):
    monkeypatch.delenv("COMFY_TELEMETRY_DIST", raising=False)
    repo = tmp_path / "repo"
    pkg = repo / "comfyui_telemetry"
    pkg.mkdir(parents=True)
    (repo / "dist").mkdir()
    nodes = tmp_path / "custom_nodes"
    nodes.mkdir()
    link = nodes / "comfyui_telemetry"
    os.symlink(pkg, link)
    # Symlinked into custom_nodes: the checkout's dist/.
    assert ui.dist_dir(str(link)) == str(repo / "dist")
    # Its own dist/ wins.
    (pkg / "dist").mkdir()
    assert ui.dist_dir(str(link)) == str(link / "dist")
    # A copy without dist/: <package>/dist (which then does not exist).
    copy = nodes / "copied"
    copy.mkdir()
    assert ui.dist_dir(str(copy)) == str(copy / "dist")
    monkeypatch.setenv("COMFY_TELEMETRY_DIST", "/somewhere/dist")
    assert ui.dist_dir(str(link)) == "/somewhere/dist"

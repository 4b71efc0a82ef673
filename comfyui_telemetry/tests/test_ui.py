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


def test_a_minified_index_for_the_root_is_mounted_too():
    # What Trunk's release minifier writes: attribute values without quotes where it can.
    html = (
        "<!doctype html><html lang=en><base href=/><link href=data:, rel=icon>"
        "<link href=/main-1.css integrity=sha384-x rel=stylesheet>"
        '<link rel="modulepreload" href="/app-2.js"><a href=/elsewhere>x</a>'
    )
    out = ui.mount_index(html, ["main-1.css", "app-2.js"])
    assert '<base href="/telemetry/ui/">' in out
    assert "href=/telemetry/ui/main-1.css integrity" in out
    assert 'href="/telemetry/ui/app-2.js"' in out
    assert "href=/elsewhere>" in out and "href=data:," in out  # not dist files: untouched
    # Built for the sub-path already (minified): unchanged.
    built = "<!doctype html><base href=/telemetry/ui/><link href=/telemetry/ui/main-1.css rel=stylesheet>"
    assert ui.mount_index(built, ["main-1.css"]) == built


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


# --- a packaged dist: precompressed variants, cache headers, content types ---------------------

import gzip  # noqa: E402

HASHED_JS = "comfy-dashboard-0123456789abcdef.js"
HASHED_WASM = "comfy-dashboard-0123456789abcdef_bg.wasm"
INDEX_FOR_SUB_PATH = (
    '<!doctype html><html><head><base href="/telemetry/ui/" />'
    f"<script type=\"module\">import init from '/telemetry/ui/{HASHED_JS}';</script></head></html>"
)


@pytest.fixture
def packaged(tmp_path):
    """A dist like scripts/package.sh makes: `.br` and `.gz` beside each asset. The variants
    hold marker bytes so a test can tell which file was sent."""
    d = tmp_path / "packaged"
    d.mkdir()
    (d / "index.html").write_text(INDEX_FOR_SUB_PATH)
    (d / "index.html.br").write_bytes(b"BR-INDEX")
    (d / "index.html.gz").write_bytes(gzip.compress(INDEX_FOR_SUB_PATH.encode()))
    (d / HASHED_JS).write_text("export default 1")
    (d / (HASHED_JS + ".br")).write_bytes(b"BR-JS")
    (d / (HASHED_JS + ".gz")).write_bytes(gzip.compress(b"export default 1"))
    (d / HASHED_WASM).write_bytes(b"\x00asm\x01\x00\x00\x00")
    (d / (HASHED_WASM + ".gz")).write_bytes(gzip.compress(b"\x00asm\x01\x00\x00\x00"))
    (d / "recordings").mkdir()
    (d / "recordings" / "index.json").write_text("[]")
    return d


async def raw_get(client, path, accept_encoding):
    # auto_decompress off: the test sees the bytes on the wire, as a cold-load count would.
    return await client.get(path, headers={"Accept-Encoding": accept_encoding}, auto_decompress=False)


async def test_brotli_is_sent_to_a_browser_that_accepts_it(make_comfy, packaged):
    comfy = await make_comfy(resolve_dist=lambda: str(packaged))
    c = comfy.client
    r = await raw_get(c, f"/telemetry/ui/{HASHED_JS}", "gzip, deflate, br, zstd")
    assert r.status == 200 and await r.read() == b"BR-JS"
    assert r.headers["Content-Encoding"] == "br"
    assert r.headers["Content-Type"].startswith("text/javascript")
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"


async def test_gzip_then_identity_when_brotli_is_not_accepted_or_missing(make_comfy, packaged):
    comfy = await make_comfy(resolve_dist=lambda: str(packaged))
    c = comfy.client
    r = await raw_get(c, f"/telemetry/ui/{HASHED_JS}", "gzip, br;q=0")
    assert r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await r.read()) == b"export default 1"
    # The wasm has no .br: gzip even though br is accepted; and its own content type.
    r = await raw_get(c, f"/telemetry/ui/{HASHED_WASM}", "br, gzip")
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Content-Type"] == "application/wasm"
    for header in ("identity", "", "gzip;q=0, br;q=0", "deflate"):
        r = await raw_get(c, f"/telemetry/ui/{HASHED_JS}", header)
        assert "Content-Encoding" not in r.headers, header
        assert await r.read() == b"export default 1", header
        assert r.headers["Vary"] == "Accept-Encoding"


async def test_index_is_revalidated_and_precompressed_too(make_comfy, packaged):
    comfy = await make_comfy(resolve_dist=lambda: str(packaged))
    c = comfy.client
    for path in ("/telemetry/ui/", "/telemetry/ui/history", "/telemetry/ui/index.html"):
        r = await raw_get(c, path, "br")
        assert r.status == 200 and await r.read() == b"BR-INDEX", path
        assert r.headers["Content-Encoding"] == "br"
        assert r.headers["Content-Type"].startswith("text/html")
        assert r.headers["Cache-Control"] == "no-cache"
    r = await raw_get(c, "/telemetry/ui/", "gzip")
    assert gzip.decompress(await r.read()).decode() == INDEX_FOR_SUB_PATH
    # Unhashed files (the demo recordings) are revalidated, never cached for a year.
    r = await raw_get(c, "/telemetry/ui/recordings/index.json", "br")
    assert r.headers["Cache-Control"] == "no-cache" and "Content-Encoding" not in r.headers
    assert r.headers["Content-Type"] == "application/json"


async def test_an_index_rewritten_for_the_sub_path_is_never_a_stale_variant(make_comfy, dist):
    # A build for "/" whose index has variants: the variants hold the unrewritten page.
    (dist / "index.html.br").write_bytes(b"STALE")
    comfy = await make_comfy(resolve_dist=lambda: str(dist))
    r = await raw_get(comfy.client, "/telemetry/ui/", "br")
    assert "Content-Encoding" not in r.headers
    assert '<base href="/telemetry/ui/"' in await r.text()


async def test_the_ui_refuses_other_origins(make_comfy, packaged):
    comfy = await make_comfy(resolve_dist=lambda: str(packaged))
    c = comfy.client
    r = await c.get("/telemetry/ui/", headers={"Origin": "null"})
    assert r.status == 403
    r = await c.get("/telemetry/ui/", headers={"Origin": f"http://127.0.0.1:{c.port}"})
    assert r.status == 200


@pytest.mark.parametrize(
    "header, expected",
    [
        ("gzip, deflate, br", {"gzip", "deflate", "br"}),
        ("br;q=0, gzip;q=0.5", {"gzip"}),
        ("x-gzip", {"gzip"}),
        ("*", {"br", "gzip"}),
        ("*;q=0.1, br;q=0", {"gzip"}),
        ("BR ; Q=1", {"br"}),
        ("gzip;q=nonsense", set()),
        ("", set()),
        (None, set()),
    ],
)
def test_accept_encoding(header, expected):
    assert ui.accepted(header) == expected


def test_hashed_names():
    assert ui.cache_control(HASHED_JS) == ui.IMMUTABLE
    assert ui.cache_control(HASHED_WASM) == ui.IMMUTABLE
    assert ui.cache_control("main-fedcba9876543210.css") == ui.IMMUTABLE
    # Trunk prints the 64-bit hash without leading zeros: 15 digits one time in sixteen.
    assert ui.cache_control("comfy-dashboard-5fa31fe8f00fd13_bg.wasm") == ui.IMMUTABLE
    assert ui.cache_control("snippets/comfy-dashboard-0123456789abcdef/inline0.js") == ui.IMMUTABLE
    assert ui.cache_control("index.html") == ui.REVALIDATE
    assert ui.cache_control("recordings/a-success/actions.jsonl") == ui.REVALIDATE


def test_dist_of_a_git_clone_installed_as_the_custom_node(tmp_path, monkeypatch):
    monkeypatch.delenv("COMFY_TELEMETRY_DIST", raising=False)
    clone = tmp_path / "custom_nodes" / "comfy-telemetry"
    (clone / "comfyui_telemetry").mkdir(parents=True)
    (clone / "Trunk.toml").write_text("")
    (clone / "dist").mkdir()
    assert ui.dist_dir(str(clone / "comfyui_telemetry")) == str(clone / "dist")


async def test_comfyuis_compress_body_never_compresses_a_variant_again(aiohttp_client, packaged):
    """ComfyUI's --enable-compress-response-body middleware (server.py compress_body) gzips every
    web.Response typed application/json or text/plain: a precompressed variant must pass as it is."""
    from aiohttp import web

    @web.middleware
    async def compress_body(request, handler):
        accept_encoding = request.headers.get("Accept-Encoding", "")
        response = await handler(request)
        if not isinstance(response, web.Response):
            return response
        if response.content_type not in ["application/json", "text/plain"]:
            return response
        if response.body and "gzip" in accept_encoding:
            response.enable_compression()
        return response

    (packaged / "recordings" / "index.json.br").write_bytes(b"BR-JSON")
    app = web.Application(middlewares=[compress_body])
    app.router.add_get(ui.PREFIX + "{tail:.*}", ui.make_handler(lambda: str(packaged)))
    c = await aiohttp_client(app)
    r = await raw_get(c, "/telemetry/ui/recordings/index.json", "gzip, br")
    assert r.headers["Content-Encoding"] == "br" and await r.read() == b"BR-JSON"
    # Without a variant, ComfyUI's middleware may compress as it always does.
    r = await c.get("/telemetry/ui/recordings/index.json", headers={"Accept-Encoding": "gzip"})
    assert await r.text() == "[]"

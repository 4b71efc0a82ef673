"""What keeps other sites away from the dashboard and its API: undecodable paths are 404 (never a
500 with a traceback), the UI cannot be framed by another site, and `Sec-Fetch-Site: cross-site`
requests (iframes, images, scripts of another site) are refused unless their Origin is listed,
so a fleet page on another allowed host keeps working."""

import pytest
from yarl import URL

from comfyui_telemetry import origin

UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
FLEET = "http://fleet.example:9000"


@pytest.fixture
def dist(tmp_path):
    d = tmp_path / "dist"
    d.mkdir()
    (d / "index.html").write_text('<!doctype html><base href="/telemetry/ui/"><p>dash</p>')
    (d / "app-0123456789abcdef.js").write_text("export default 1")
    return d


@pytest.fixture
async def comfy(make_comfy, dist, monkeypatch):
    monkeypatch.delenv(origin.ENV, raising=False)
    return await make_comfy(resolve_dist=lambda: str(dist))


@pytest.mark.parametrize("raw", ["%00", "a%00.js", "%00/x", "%ff", "%c0%80", "x%0a.js", "..%5c..%5cx",
                                 "%2e%2e/%2e%2e/secret", "%ed%a0%80"])
async def test_undecodable_or_impossible_paths_are_404(comfy, raw):
    r = await comfy.client.get(URL("/telemetry/ui/" + raw, encoded=True))
    assert r.status == 404, (raw, r.status, await r.text())
    assert "Traceback" not in await r.text()


async def test_undecodable_paths_are_404_without_a_built_dashboard_too(make_comfy, tmp_path):
    comfy = await make_comfy(resolve_dist=lambda: str(tmp_path / "nothing"))
    r = await comfy.client.get(URL("/telemetry/ui/%00", encoded=True))
    assert r.status == 404


async def test_the_ui_cannot_be_framed_by_another_site(comfy):
    for path in ("/telemetry/ui/", "/telemetry/ui/runs", "/telemetry/ui/app-0123456789abcdef.js",
                 "/telemetry/ui/missing.js"):
        r = await comfy.client.get(path)
        assert r.headers["Content-Security-Policy"] == "frame-ancestors 'self'", path
        assert r.headers["X-Frame-Options"] == "SAMEORIGIN", path


async def _status(comfy, path, headers):
    if path in ("/telemetry", "/api/telemetry"):
        headers = {**UPGRADE, **headers}
    r = await comfy.client.get(path, headers=headers)
    status = r.status
    body = await r.json() if status == 403 else None
    r.close()
    return status, body


IFRAME = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}
NO_CORS = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}
LINK = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
ROUTES = ["/telemetry/ui/", "/telemetry/ui/app-0123456789abcdef.js", "/telemetry/stats",
          "/telemetry/metrics", "/telemetry", "/api/telemetry"]


@pytest.mark.parametrize("path", ROUTES)
async def test_cross_site_requests_are_refused_unless_the_origin_is_listed(comfy, monkeypatch, path):
    for headers in (IFRAME, NO_CORS, {"Sec-Fetch-Site": "cross-site"}):
        status, body = await _status(comfy, path, headers)
        assert status == 403, (path, headers)
        assert body["reason"] == "cross-site" and body["setting"] == origin.ENV
    # Same-origin and same-site requests, and requests without Fetch Metadata, are unchanged.
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}):
        status, _ = await _status(comfy, path, headers)
        assert status in (101, 200), (path, headers)
    # A fleet page on another allowed host keeps working (its fetches and sockets carry Origin).
    monkeypatch.setenv(origin.ENV, FLEET)
    # (A LAN Host: on a loopback Host, ComfyUI's own origin check refuses every other origin.)
    status, _ = await _status(comfy, path, {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors",
                                            "Origin": FLEET, "Host": "192.168.1.20:8188"})
    assert status in (101, 200), path
    # ... while it still may not frame the UI (no Origin on a frame's navigation).
    status, _ = await _status(comfy, path, IFRAME)
    assert status == 403


async def test_a_link_from_another_site_still_opens_the_dashboard(comfy):
    status, _ = await _status(comfy, "/telemetry/ui/", LINK)
    assert status == 200
    # ... but not the API routes.
    status, _ = await _status(comfy, "/telemetry/stats", LINK)
    assert status == 403

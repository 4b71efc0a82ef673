"""The extension's own origin policy: no Origin or the request's own scheme://Host, or listed in
COMFY_TELEMETRY_ALLOWED_ORIGINS; `null` and everything else refused, logged once per origin."""

import logging

import pytest
from aiohttp.test_utils import make_mocked_request

from comfyui_telemetry import origin

UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def _request(headers):
    return make_mocked_request("GET", "/telemetry", headers=headers)


@pytest.mark.parametrize("host,origin_,allowed", [
    ("127.0.0.1:8188", None, True),
    ("127.0.0.1:8188", "http://127.0.0.1:8188", True),
    ("127.0.0.1:8188", "HTTP://127.0.0.1:8188/", True),
    ("localhost", "http://localhost:80", True),
    ("192.168.1.20:8188", "http://192.168.1.20:8188", True),
    ("[::1]:8188", "http://[::1]:8188", True),
    ("127.0.0.1:8188", "null", False),
    ("127.0.0.1:8188", "https://evil.example", False),
    ("192.168.1.20:8188", "https://evil.example", False),
    ("127.0.0.1:8188", "http://127.0.0.1:8189", False),
    ("127.0.0.1:8188", "https://127.0.0.1:8188", False),  # another scheme is another origin
    ("127.0.0.1:8188", "http://127.0.0.1:8188.evil.example", False),
    ("127.0.0.1:8188", "file://", False),
    ("127.0.0.1:8188", "not an origin", False),
])
def test_same_origin_or_no_origin_only(monkeypatch, host, origin_, allowed):
    monkeypatch.delenv(origin.ENV, raising=False)
    headers = {"Host": host}
    if origin_ is not None:
        headers["Origin"] = origin_
    refusal = origin.refusal(_request(headers))
    assert (refusal is None) == allowed
    if not allowed:
        assert refusal.status == 403


def test_forwarded_proto_of_a_tls_proxy_counts_as_the_requests_scheme(monkeypatch):
    monkeypatch.delenv(origin.ENV, raising=False)
    monkeypatch.setenv("COMFY_TELEMETRY_ALLOWED_HOSTS", "comfy.lan")  # the proxy's name
    req = _request({"Host": "comfy.lan", "Origin": "https://comfy.lan", "X-Forwarded-Proto": "https"})
    assert origin.refusal(req) is None


def test_allow_list(monkeypatch):
    monkeypatch.setenv(origin.ENV, "http://localhost:8080, HTTPS://Dash.Example:443 null bogus")
    for o in ("http://localhost:8080", "https://dash.example", "null"):
        assert origin.refusal(_request({"Host": "127.0.0.1:8188", "Origin": o})) is None, o
    assert origin.refusal(_request({"Host": "127.0.0.1:8188", "Origin": "http://localhost:8081"}))


def test_each_refused_origin_is_logged_once(monkeypatch, caplog):
    monkeypatch.delenv(origin.ENV, raising=False)
    caplog.set_level(logging.WARNING, logger="comfyui_telemetry")
    for _ in range(3):
        origin.refusal(_request({"Host": "127.0.0.1:1", "Origin": "https://once.example"}))
    origin.refusal(_request({"Host": "127.0.0.1:1", "Origin": "https://twice.example"}))
    assert caplog.text.count("once.example") == 1
    assert caplog.text.count("twice.example") == 1


@pytest.mark.parametrize("path", ["/telemetry", "/api/telemetry", "/telemetry/stats"])
async def test_routes_refuse_null_and_lan_cross_site(comfy, monkeypatch, path):
    monkeypatch.delenv(origin.ENV, raising=False)
    own = f"127.0.0.1:{comfy.client.port}"
    for headers, want in [
        ({"Origin": "null"}, 403),
        ({"Host": "192.168.1.20:8188", "Origin": "https://evil.example"}, 403),
        ({"Host": "192.168.1.20:8188", "Origin": "http://192.168.1.20:8188"}, None),
        ({"Origin": f"http://{own}", "Host": own}, None),
        ({}, None),
    ]:
        resp = await comfy.client.get(path, headers={**UPGRADE, **headers})
        if want is None:
            assert resp.status in (101, 200), (headers, resp.status)
        else:
            assert resp.status == want, headers
        resp.close()

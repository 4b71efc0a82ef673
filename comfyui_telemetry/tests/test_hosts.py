"""The Host check (DNS rebinding) on every route of the extension, with and without Origin, and
refusals that say why: a JSON 403 naming the reason and the setting, readable by the refused
page (and only the refusal)."""

import logging
import socket
import threading

import pytest
from aiohttp.test_utils import make_mocked_request

from comfyui_telemetry import hosts, origin

UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
ROUTES = ["/telemetry", "/api/telemetry", "/telemetry/stats", "/api/telemetry/stats",
          "/telemetry/metrics", "/api/telemetry/metrics", "/telemetry/ui/", "/telemetry/ui/a.js"]
REBIND = "rebind.example:8188"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv(hosts.ENV, raising=False)
    monkeypatch.delenv(origin.ENV, raising=False)
    # A dashboard of its own, so `/telemetry/ui/a.js` is a file whether or not the checkout has
    # a built dist/ (without one the UI answers its "not installed" page; with one a missing
    # asset is 404).
    (tmp_path / "index.html").write_text("<html></html>")
    (tmp_path / "a.js").write_text("// a")
    monkeypatch.setenv("COMFY_TELEMETRY_DIST", str(tmp_path))


@pytest.mark.parametrize("host,ok", [
    ("127.0.0.1:8188", True), ("127.0.0.1", True), ("[::1]:8188", True),
    ("192.168.1.20:8188", True), ("10.0.0.7", True), ("[fe80::1]:80", True),
    ("localhost:8188", True), ("LOCALHOST.", True), ("comfy.localhost:8188", True),
    ("rebind.example:8188", False), ("localhost.evil.example", False),
    ("127.0.0.1.nip.io:8188", False), ("evil-localhost", False), ("", False),
    ("a b", False), (None, True),
])
def test_which_hosts_pass(host, ok):
    assert hosts.is_allowed_host(host) is ok


def test_listed_names_and_the_hosts_of_allowed_origins_pass(monkeypatch):
    monkeypatch.setenv(hosts.ENV, "comfy.lan, *.gpu.example  .farm.example")
    for h in ("comfy.lan:8188", "COMFY.LAN", "a.gpu.example", "x.y.farm.example:1"):
        assert hosts.is_allowed_host(h), h
    for h in ("gpu.example.evil", "xcomfy.lan", "farm.example.com"):
        assert not hosts.is_allowed_host(h), h
    monkeypatch.setenv(origin.ENV, "https://fleet.example:9000")
    req = make_mocked_request("GET", "/telemetry", headers={"Host": "fleet.example:8188"})
    assert origin.refusal(req) is None


def test_the_machines_own_names_pass_and_the_fqdn_is_looked_up_off_the_calling_thread(monkeypatch):
    seen = {}
    done = threading.Event()

    def getfqdn(*a):
        seen["thread"] = threading.current_thread()
        done.set()
        return "box7.corp.example"

    monkeypatch.setattr(socket, "gethostname", lambda: "Box7")
    monkeypatch.setattr(socket, "getfqdn", getfqdn)
    monkeypatch.setattr(hosts, "_lookup_started", False)
    monkeypatch.setattr(hosts, "_own", frozenset())
    hosts.start_name_lookup()
    assert hosts.is_allowed_host("box7:8188") and hosts.is_allowed_host("box7.local")
    assert done.wait(5)
    assert seen["thread"] is not threading.current_thread()
    for _ in range(100):
        if hosts.is_allowed_host("box7.corp.example"):
            break
        threading.Event().wait(0.01)
    assert hosts.is_allowed_host("box7.corp.example:8188")
    assert not hosts.is_allowed_host("box8.corp.example")


async def _status_and_body(comfy, path, headers):
    resp = await comfy.client.get(path, headers={**UPGRADE, **headers} if "ui" not in path and
                                  "stats" not in path and "metrics" not in path else headers)
    body = await resp.json() if resp.status == 403 else None
    status, h = resp.status, resp.headers
    resp.close()
    return status, body, h


@pytest.mark.parametrize("path", ROUTES)
async def test_a_rebinding_host_is_refused_on_every_route_with_and_without_origin(comfy, path, caplog):
    caplog.set_level(logging.WARNING, logger="comfyui_telemetry")
    rebind = "rebind%d.example:8188" % ROUTES.index(path)  # each refused name is logged once
    for headers in ({"Host": rebind}, {"Host": rebind, "Origin": "http://" + rebind}):
        status, body, h = await _status_and_body(comfy, path, headers)
        assert status == 403, (path, headers)
        assert body == {"error": "telemetry-refused", "reason": "host-not-allowed",
                        "setting": "COMFY_TELEMETRY_ALLOWED_HOSTS",
                        "message": origin.MESSAGES["host-not-allowed"]}
    assert "COMFY_TELEMETRY_ALLOWED_HOSTS" in caplog.text and rebind.split(":")[0] in caplog.text
    # The same route answers under an IP literal.
    status, _, _ = await _status_and_body(comfy, path, {"Host": f"127.0.0.1:{comfy.client.port}"})
    assert status in (101, 200), path


@pytest.mark.parametrize("path", ROUTES)
async def test_a_listed_name_is_served_on_every_route(comfy, monkeypatch, path):
    monkeypatch.setenv(hosts.ENV, "rebind.example")
    status, _, _ = await _status_and_body(comfy, path, {"Host": REBIND, "Origin": "http://" + REBIND})
    assert status in (101, 200), path


async def test_a_refused_origin_can_read_why_and_nothing_else(comfy):
    evil = "https://evil.example"
    status, body, h = await _status_and_body(comfy, "/telemetry/stats", {"Origin": evil})
    assert status == 403
    assert body["reason"] == "origin-not-allowed" and body["setting"] == origin.ENV
    assert body["error"] == "telemetry-refused" and "COMFY_TELEMETRY_ALLOWED_ORIGINS" in body["message"]
    assert h["Access-Control-Allow-Origin"] == evil and "Origin" in h["Vary"]
    assert "Access-Control-Allow-Credentials" not in h
    # No Origin: no CORS header at all.
    status, body, h = await _status_and_body(comfy, "/telemetry/stats", {"Host": REBIND})
    assert status == 403 and "Access-Control-Allow-Origin" not in h
    # An allowed request carries no CORS header either (the policy is unchanged).
    resp = await comfy.client.get("/telemetry/stats")
    assert resp.status == 200 and "Access-Control-Allow-Origin" not in resp.headers
    resp.close()


async def test_the_json_refusal_is_what_every_403_route_answers(comfy):
    for path in ROUTES:
        status, body, _ = await _status_and_body(comfy, path, {"Origin": "null"})
        assert status == 403 and body["reason"] == "origin-not-allowed", path

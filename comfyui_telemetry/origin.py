"""The extension's own origin policy, for every route it adds (`/telemetry`, `/api/telemetry`,
`/telemetry/ui/`, `/telemetry/metrics`).

ComfyUI 0.3.64's `origin_only_middleware` is not enough for a stream that shows every client's
prompts: it lets `Origin: null` through (any sandboxed iframe sends it), accepts any Origin
when the Host is not loopback (`--listen`, a reverse proxy), and `--enable-cors-header` turns it
off entirely. So each of our handlers asks `refusal(request)` first:

- no `Origin` header (scripts, curl, Prometheus, the dashboard's own tests): allowed;
- `Origin` equal to the request's own `scheme://Host` (default ports ignored; the scheme may
  also be the first `X-Forwarded-Proto`, so a TLS-terminating proxy keeps working): allowed;
- an origin listed in `COMFY_TELEMETRY_ALLOWED_ORIGINS` (comma or space separated, e.g.
  `http://localhost:8080, https://dash.example`; `null` may be listed too): allowed;
- anything else, `null` included: 403, whatever `--enable-cors-header` says.

Before it, the Host check of `hosts.py` (DNS rebinding); after it, a `Sec-Fetch-Site:
cross-site` refusal. Every refusal is a JSON 403 naming its reason and the setting that would
allow it (`refusal_body`).

A browser sets `Origin` itself and pages cannot forge it, so this is what keeps other sites out;
non-browser clients can send anything and are not what it guards against.
"""

import functools
import os
import urllib.parse
from typing import Optional

from aiohttp import web

from . import hosts
from ._log import logger

ENV = "COMFY_TELEMETRY_ALLOWED_ORIGINS"
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# Refusals are logged once per origin; past this many distinct origins, no more are logged (a
# page can make up origins faster than a log should grow).
MAX_LOGGED = 256
_logged = set()


def normalize(origin: str) -> Optional[str]:
    """`scheme://host[:port]` lower-cased with the scheme's default port dropped, or None when
    it is not an http(s) origin. `"null"` stays `"null"`."""
    origin = origin.strip()
    if origin.lower() == "null":
        return "null"
    try:
        parsed = urllib.parse.urlsplit(origin)
        scheme = parsed.scheme.lower()
        host = parsed.hostname
        port = parsed.port
    except ValueError:
        return None
    if scheme not in ("http", "https") or not host or parsed.path not in ("", "/"):
        return None
    return _join(scheme, host, port)


def _join(scheme, host, port):
    host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal, as it appears in a Host header
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def allowed_origins(raw: Optional[str] = None) -> frozenset:
    """The allow-list from `COMFY_TELEMETRY_ALLOWED_ORIGINS` (or `raw`), normalized; entries
    that are not origins are ignored (and logged once). Read on every request (so a test or an
    operator can change it without a restart), parsed once per distinct value."""
    if raw is None:
        raw = os.environ.get(ENV, "")
    return _parse(raw)


@functools.lru_cache(maxsize=8)
def _parse(raw: str) -> frozenset:
    out = set()
    for entry in raw.replace(",", " ").split():
        norm = normalize(entry)
        if norm is None:
            _log_once(("bad-entry", entry), "ignoring %s entry %r (not an origin)", ENV, entry)
        else:
            out.add(norm)
    return frozenset(out)


def own_origins(request) -> set:
    """The origins a page served by this very request's host would send."""
    host = request.headers.get("Host") or request.host
    schemes = {request.scheme.lower()}
    forwarded = request.headers.get("X-Forwarded-Proto")
    if forwarded:
        schemes.add(forwarded.split(",")[0].strip().lower())
    out = set()
    for scheme in schemes & {"http", "https"}:
        try:
            parsed = urllib.parse.urlsplit(f"//{host}")
            name, port = parsed.hostname, parsed.port
        except ValueError:
            continue
        if name:
            out.add(_join(scheme, name, port))
    return out


def is_allowed(request, allow: Optional[frozenset] = None) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    norm = normalize(origin)
    if norm is None:
        return False
    if norm in (allowed_origins() if allow is None else allow):
        return True
    return norm != "null" and norm in own_origins(request)


@functools.lru_cache(maxsize=8)
def _origin_hosts(allow: frozenset) -> frozenset:
    out = set()
    for o in allow:
        if o != "null":
            name = hosts.host_name(o.split("://", 1)[-1])
            if name:
                out.add(name)
    return frozenset(out)


# Why a request is refused: (reason code, setting that would allow it, what a person can do).
HOST_NOT_ALLOWED = "host-not-allowed"
ORIGIN_NOT_ALLOWED = "origin-not-allowed"
CROSS_SITE = "cross-site"
MESSAGES = {
    HOST_NOT_ALLOWED: "This server was reached under a name it does not know as its own; "
                      "list that name in " + hosts.ENV + " to allow it.",
    ORIGIN_NOT_ALLOWED: "Pages from this origin may not read this server's telemetry; "
                        "list the origin in " + ENV + " to allow it.",
    CROSS_SITE: "Another site asked for this server's telemetry; list that site's origin in "
                + ENV + " to allow it.",
}
SETTINGS = {HOST_NOT_ALLOWED: hosts.ENV, ORIGIN_NOT_ALLOWED: ENV, CROSS_SITE: ENV}


def reason_refused(request, ui: bool = False) -> Optional[str]:
    """None when `request` may use a route of the extension, else the reason code.

    In order: the Host check (`hosts.py`, DNS rebinding), the Origin policy, then
    `Sec-Fetch-Site: cross-site` (a request another site made without an Origin header: an
    iframe, an image, a script) unless its Origin is allow-listed. On the UI (`ui`), a top-level
    navigation (`Sec-Fetch-Dest: document`, a followed link) is not refused: the site it comes
    from cannot read the page, and framing is refused by the UI's own headers."""
    headers = request.headers
    allow = allowed_origins()
    if not hosts.is_allowed_host(headers.get("Host"), _origin_hosts(allow)):
        return HOST_NOT_ALLOWED
    if not is_allowed(request, allow):
        return ORIGIN_NOT_ALLOWED
    if headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site":
        origin = headers.get("Origin")
        if origin is not None and normalize(origin) in allow:
            return None
        if ui and headers.get("Sec-Fetch-Dest", "").strip().lower() == "document" and \
                headers.get("Sec-Fetch-Mode", "").strip().lower() == "navigate":
            return None
        return CROSS_SITE
    return None


def refusal_body(reason: str) -> dict:
    """The JSON body of every refusal (docs/telemetry-protocol.md, "Refusals")."""
    return {"error": "telemetry-refused", "reason": reason, "setting": SETTINGS[reason],
            "message": MESSAGES[reason]}


def refusal(request, ui: bool = False) -> Optional[web.Response]:
    """None when `request` may use the route, else a 403 response saying why (logged once per
    reason and origin or host). Never raises: a request it cannot judge is refused."""
    try:
        reason = reason_refused(request, ui)
        if reason is None:
            return None
    except Exception:
        reason = ORIGIN_NOT_ALLOWED
    origin = _header(request, "Origin")
    host = _header(request, "Host")
    what = ("Host", host) if reason == HOST_NOT_ALLOWED else ("Origin", origin)
    _log_once(
        (reason, what[1]),
        "refused %s (%s) from Origin %r, Host %r; list the %s in %s to allow it",
        getattr(request, "path", "?"), reason, origin, host,
        "name" if reason == HOST_NOT_ALLOWED else "origin", SETTINGS[reason],
    )
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    norm = normalize(origin) if origin else None
    if norm is not None and norm != "null":
        # Lets the refused page read why (this response only: nothing else is shared with it).
        headers["Access-Control-Allow-Origin"] = origin.strip()
        headers["Vary"] = "Origin"
    return web.json_response(refusal_body(reason), status=403, headers=headers)


OWN_PATHS = ("/telemetry", "/api/telemetry")


def is_own_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OWN_PATHS)


@web.middleware
async def refusal_middleware(request, handler):
    """Judges the extension's routes before ComfyUI's own origin middleware can answer them
    with its bare 403, so that every refusal of ours says why. Other paths pass untouched."""
    if is_own_path(request.path):
        refused = refusal(request, ui=request.path.startswith("/telemetry/ui"))
        if refused is not None:
            return refused
    return await handler(request)


def install_middleware(app) -> bool:
    """Puts `refusal_middleware` first in the app's chain (possible until the app starts,
    i.e. while custom nodes are imported). Each handler checks again, so without it the
    routes are just as closed, only refused by ComfyUI's middleware first on loopback Hosts."""
    try:
        middlewares = app.middlewares
        if refusal_middleware not in middlewares:
            middlewares.insert(0, refusal_middleware)
        return True
    except Exception as e:
        _warn("could not add the refusal middleware (%r); refusals of ComfyUI's origin check "
              "stay without a reason", e)
        return False


def _header(request, name):
    try:
        return request.headers.get(name)
    except Exception:
        return None


def _log_once(key, message, *args):
    if key in _logged:
        return
    if len(_logged) >= MAX_LOGGED:
        if "overflow" not in _logged:
            _logged.add("overflow")
            _warn("more refused origins than logged; further refusals are silent")
        return
    _logged.add(key)
    _warn(message, *args)


def _warn(message, *args):
    try:
        logger.warning("[telemetry] " + message, *args)
    except Exception:
        pass

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

A browser sets `Origin` itself and pages cannot forge it, so this is what keeps other sites out;
non-browser clients can send anything and are not what it guards against.
"""

import functools
import os
import urllib.parse
from typing import Optional

from aiohttp import web

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


def refusal(request) -> Optional[web.Response]:
    """None when `request` may use the route, else a 403 response (logged once per origin).
    Never raises: a request it cannot judge is refused."""
    try:
        if is_allowed(request):
            return None
        origin = request.headers.get("Origin", "")
    except Exception:
        origin = "(unreadable)"
    _log_once(
        ("refused", origin),
        "refused %s from Origin %r (Host %r); list it in %s to allow it",
        getattr(request, "path", "?"),
        origin,
        _safe_host(request),
        ENV,
    )
    return web.Response(status=403, text="telemetry: origin not allowed\n")


def _safe_host(request):
    try:
        return request.headers.get("Host")
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

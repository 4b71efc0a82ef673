"""The Host check (DNS rebinding), for every route of the extension.

A page on `http://rebind.example:8188` whose name an attacker re-points at 127.0.0.1 sends
`Host: rebind.example:8188` and the matching `Origin`, so an origin check alone lets it read the
stream. A rebinding attacker controls a *name*, never the address a browser puts in `Host` for an
IP literal, so a request is only served when its Host names this machine in a way no other site
can borrow:

- an IP literal (`127.0.0.1`, `[::1]`, `192.168.1.20`);
- `localhost` or any `*.localhost` (browsers resolve those to loopback themselves);
- this machine's own names: `socket.gethostname()` (a system call, no DNS), its first label, that
  label plus `.local` (mDNS), and `socket.getfqdn()`, which may ask DNS and so is computed once,
  in a thread started at install, never on ComfyUI's event loop (until it is known, the other
  names still work);
- the names listed in `COMFY_TELEMETRY_ALLOWED_HOSTS` (comma or space separated; `*.example.com`
  or `.example.com` also allows every name under it) and the hosts of the origins listed in
  `COMFY_TELEMETRY_ALLOWED_ORIGINS`.

Nothing here resolves a name. A request without a Host header (HTTP/1.0 scripts) is served: no
browser sends one.
"""

import functools
import ipaddress
import os
import socket
import threading
import urllib.parse
from typing import Optional

ENV = "COMFY_TELEMETRY_ALLOWED_HOSTS"

_own = frozenset()
_lookup_started = False
_lock = threading.Lock()


def host_name(host: str) -> Optional[str]:
    """The name (or address) of a Host header, lower-cased, without port, brackets or trailing
    dot; None when it is not a valid host."""
    try:
        name = urllib.parse.urlsplit("//" + host.strip()).hostname
    except ValueError:
        return None
    if not name:
        return None
    name = name.rstrip(".")
    if not name or any(c in name for c in "/\\@ \t"):
        return None
    return name


def _names_of(hostname: str) -> set:
    out = set()
    hostname = (hostname or "").strip().lower().rstrip(".")
    if hostname:
        out.add(hostname)
        first = hostname.split(".", 1)[0]
        out.add(first)
        out.add(first + ".local")
    return out


def _set_own(names):
    global _own
    with _lock:
        _own = frozenset(_own | {n for n in names if n})


def start_name_lookup():
    """Learns the machine's own names: `gethostname()` now, `getfqdn()` (which may query DNS)
    in a daemon thread. Idempotent; never raises."""
    global _lookup_started
    try:
        _set_own(_names_of(socket.gethostname()))
    except Exception:
        pass
    with _lock:
        if _lookup_started:
            return
        _lookup_started = True

    def lookup():
        try:
            _set_own(_names_of(socket.getfqdn()))
        except Exception:
            pass

    threading.Thread(target=lookup, name="telemetry-fqdn", daemon=True).start()


def own_names() -> frozenset:
    return _own


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


@functools.lru_cache(maxsize=8)
def _parse_allowed(raw: str) -> tuple:
    """(exact names, suffixes) of a `COMFY_TELEMETRY_ALLOWED_HOSTS` value."""
    exact, suffixes = set(), set()
    for entry in raw.replace(",", " ").split():
        entry = entry.strip().lower()
        if entry.startswith("*."):
            entry = entry[1:]
        if entry.startswith("."):
            rest = host_name(entry[1:])
            if rest:
                suffixes.add("." + rest)
            continue
        name = host_name(entry)
        if name:
            exact.add(name)
    return frozenset(exact), tuple(sorted(suffixes))


def allowed_hosts(raw: Optional[str] = None) -> tuple:
    return _parse_allowed(os.environ.get(ENV, "") if raw is None else raw)


def is_allowed_host(host: Optional[str], origin_hosts=frozenset()) -> bool:
    """Whether a request whose Host header is `host` may be served (see the module doc).
    `origin_hosts`: the hosts of the allowed origins."""
    if host is None:
        return True
    name = host_name(host)
    if name is None:
        return False
    if is_ip_literal(name) or name == "localhost" or name.endswith(".localhost"):
        return True
    if name in _own or name in origin_hosts:
        return True
    exact, suffixes = allowed_hosts()
    return name in exact or any(name.endswith(s) for s in suffixes)

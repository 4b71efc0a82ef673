"""`/telemetry/ui/`: the built dashboard (a single-page app) served by ComfyUI itself.

Served from the same origin as ComfyUI, the dashboard passes ComfyUI's origin check with no
`--enable-cors-header`. Registered on the aiohttp router directly rather than on
`PromptServer.routes`, so that `add_routes()` does not give it an `/api` twin.

A packaged dashboard (`scripts/package.sh`) carries `x.br` and `x.gz` beside each asset `x`;
the variant the browser accepts is sent as it is, with its `Content-Encoding` (brotli first,
then gzip), so a cold load costs about a third of the raw bytes and no CPU. Trunk's hashed
asset names change with their content, so those are cached for a year; `index.html` and
anything unhashed are revalidated on every load (`no-cache`).
"""

import asyncio
import importlib
import importlib.util
import os
import re
import sys

from aiohttp import web

from . import origin, protocol
from ._log import once

PREFIX = "/telemetry/ui/"
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# Encodings we precompress for, in order of preference, with their file suffix.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Trunk names assets `<name>-<hash>[_bg].<ext>` and snippet folders `<crate>-<hash>`, the hash a
# 64-bit number in hex without leading zeros (so 16 digits, fewer one time in sixteen).
HASHED = re.compile(r"-[0-9a-f]{10,16}(?:_bg)?\.[A-Za-z0-9]+$|(?:^|/)snippets/[^/]+-[0-9a-f]{10,16}/")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
}

# The wheel that holds the built dashboard (scripts/package.sh builds it; the custom node's
# requirements.txt and pyproject.toml name it).
DASHBOARD_MODULE = "comfyui_telemetry_dashboard"
DASHBOARD_DIST = "comfyui-telemetry-dashboard"

NO_DIST = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ComfyUI telemetry</title></head>
<body style="font-family: sans-serif; max-width: 42em; margin: 3em auto">
<h1>ComfyUI telemetry: dashboard not installed</h1>
<p>The <code>/telemetry</code> WebSocket and <code>/telemetry/metrics</code> are live, but the
built dashboard was not found: the Python package <code>comfyui-telemetry-dashboard</code> is
not installed in the Python that runs ComfyUI, <code>COMFY_TELEMETRY_DIST</code> is not set, and
there is no <code>{dist}</code>.</p>
<p>Install it into ComfyUI's Python, from this custom node's folder:
<code>python -m pip install -r requirements.txt</code> (from PyPI), or, with the wheel that
<code>scripts/package.sh</code> writes to <code>target/package/wheels/</code>:
<code>python -m pip install --no-index --find-links &lt;that folder&gt; -r requirements.txt</code>.
Or unzip the self-contained <code>comfyui_telemetry-&lt;version&gt;.zip</code> (it carries
<code>dist/</code>) into <code>custom_nodes/</code> instead of this copy, or build it from the
project checkout with <code>scripts/build.sh --public-url /telemetry/ui/</code> and keep the
checkout's <code>dist/</code> beside this package. Reload this page afterwards; no restart is
needed.</p>
</body></html>
"""


def wheel_dist():
    """The `dist/` of the installed dashboard wheel (`comfyui_telemetry_dashboard.dist_path()`),
    or None when it is not installed or holds no index.html. Never raises; a wheel whose version
    is not the extension's is used, and said once in the log."""
    try:
        module = sys.modules.get(DASHBOARD_MODULE)
        if module is None:
            if importlib.util.find_spec(DASHBOARD_MODULE) is None:
                return None
            module = importlib.import_module(DASHBOARD_MODULE)
        path = module.dist_path()
        if not isinstance(path, str) or not os.path.isfile(os.path.join(path, "index.html")):
            once("wheel-empty", "%s is installed but holds no built dashboard", DASHBOARD_DIST)
            return None
        version = getattr(module, "__version__", None)
        if version != protocol.EXTENSION_VERSION:
            once("wheel-version", "%s %s is installed; this extension is %s: install %s==%s",
                 DASHBOARD_DIST, version, protocol.EXTENSION_VERSION, DASHBOARD_DIST,
                 protocol.EXTENSION_VERSION)
        return path
    except Exception as e:
        once("wheel-broken", "could not use the installed %s: %r", DASHBOARD_DIST, e)
        return None


def dist_dir(package_dir=PACKAGE_DIR, find_wheel=wheel_dist):
    """Where the built dashboard is, in order:

    1. `COMFY_TELEMETRY_DIST`, when set: an explicit setting wins over anything installed (a
       developer pointing at a fresh build must never be served a stale wheel);
    2. the installed wheel `comfyui-telemetry-dashboard` (what the Registry, ComfyUI-Manager,
       comfy-cli and `pip install -r requirements.txt` install);
    3. `<package>/dist` (the self-contained zip carries it);
    4. the checkout's `dist/` beside the package: when the package is a symlink into a checkout
       (custom_nodes/comfyui_telemetry -> <repo>/comfyui_telemetry), or when the checkout itself
       is the custom node (a git clone of the repository).

    Without any, `<package>/dist`, which then does not exist: the page says how to get one."""
    env = os.environ.get("COMFY_TELEMETRY_DIST")
    if env:
        return env
    wheel = find_wheel()
    if wheel:
        return wheel
    own = os.path.join(package_dir, "dist")
    if os.path.isdir(own):
        return own
    real = os.path.realpath(package_dir)
    checkout = os.path.dirname(real)
    linked = real != os.path.abspath(package_dir)
    if linked or os.path.isfile(os.path.join(checkout, "Trunk.toml")):
        repo = os.path.join(checkout, "dist")
        if os.path.isdir(repo):
            return repo
    return own


# `<base href="/">`, quoted or not (a minified index.html writes `<base href=/>`).
_BASE_FOR_ROOT = re.compile(r"""<base\s+href=(?:"/"|'/'|/(?=[\s/>]))""")


def mount_index(html, names, prefix=PREFIX):
    """Makes an index.html built for `/` work under `prefix`.

    Trunk writes its public URL into `<base href>` and into absolute asset URLs. A build made
    with `--public-url /telemetry/ui/` needs nothing; one made for `/` gets those rewritten.
    Attribute values may be quoted or not (a release build's index.html is minified).
    """
    if not _BASE_FOR_ROOT.search(html):
        return html
    html = _BASE_FOR_ROOT.sub(f'<base href="{prefix}"', html, count=1)
    for name in sorted(names, key=len, reverse=True):
        html = re.sub(
            r"([\"'=])/" + re.escape(name) + r"(?=[\"'/?#\s>])",
            lambda m: m.group(1) + prefix + name,
            html,
        )
    return html


def accepted(header):
    """The content codings an `Accept-Encoding` header accepts (q > 0), lower-cased.

    `*` stands for any coding not named; `x-gzip` counts as gzip (RFC 9110 §8.4.1.3)."""
    named, star = {}, False
    for part in (header or "").split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding == "x-gzip":
            coding = "gzip"
        if coding == "*":
            star = q > 0
        else:
            named[coding] = max(q, named.get(coding, 0.0))
    out = {c for c, q in named.items() if q > 0}
    if star:
        out |= {c for c, _ in ENCODINGS if c not in named}
    return out


def pick_variant(path, accept_encoding):
    """(file to send, its Content-Encoding or None) for `path` and an Accept-Encoding header."""
    ok = accepted(accept_encoding)
    for coding, suffix in ENCODINGS:
        if coding in ok and os.path.isfile(path + suffix):
            return path + suffix, coding
    return path, None


def content_type(path):
    return CONTENT_TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")


def cache_control(rel_path):
    return IMMUTABLE if HASHED.search(rel_path) else REVALIDATE


class EncodedResponse(web.Response):
    """A body that is already brotli or gzip: never compressed again. ComfyUI's
    `--enable-compress-response-body` middleware calls `enable_compression()` on every JSON or
    plain-text response, which would gzip the variant and overwrite its Content-Encoding."""

    def enable_compression(self, *args, **kwargs):
        return None


def _read(path):
    with open(path, "rb") as f:
        return f.read()


async def _file_response(request, path, rel_path):
    variant, coding = pick_variant(path, request.headers.get("Accept-Encoding"))
    body = await asyncio.get_running_loop().run_in_executor(None, _read, variant)
    headers = {
        "Content-Type": content_type(path),
        "Cache-Control": cache_control(rel_path),
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if coding:
        headers["Content-Encoding"] = coding
        return EncodedResponse(body=body, headers=headers)
    return web.Response(body=body, headers=headers)


async def _index_response(request, dist):
    path = os.path.join(dist, "index.html")
    html = await asyncio.get_running_loop().run_in_executor(None, _read, path)
    html = html.decode("utf-8", errors="replace")
    try:
        names = os.listdir(dist)
    except OSError:
        names = []
    mounted = mount_index(html, names)
    if mounted == html:
        # Built for the sub-path: the precompressed index is the same page.
        return await _file_response(request, path, "index.html")
    return web.Response(
        text=mounted,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": REVALIDATE, "Vary": "Accept-Encoding"},
    )


# No other site may frame the dashboard (clickjacking): CSP for current browsers, X-Frame-Options
# for older ones. ComfyUI's own page (the sidebar tab) is the same origin.
FRAME_HEADERS = {"Content-Security-Policy": "frame-ancestors 'self'",
                 "X-Frame-Options": "SAMEORIGIN"}


def _safe_tail(tail):
    """The tail as a relative path, or None when it cannot name a file (a NUL or other control
    character, an undecodable escape, a backslash)."""
    # An undecodable %-escape (`%ff`, overlong or surrogate UTF-8) stays `%XX` in the decoded
    # path (yarl), or becomes U+FFFD; no file or route of the dashboard has either.
    if any(ord(c) < 0x20 or c in "\x7f\\%\ufffd" for c in tail):
        return None
    try:
        tail.encode("utf-8")
    except UnicodeError:
        return None
    return tail


def make_handler(resolve_dist=dist_dir):
    async def telemetry_ui(request):
        refused = origin.refusal(request, ui=True)
        if refused is not None:
            return refused
        try:
            response = await _serve(request, resolve_dist)
        except web.HTTPException as e:
            e.headers.update(FRAME_HEADERS)
            raise
        except (ValueError, OSError, UnicodeError):
            # A path the file system cannot take: not a file of the dashboard.
            raise web.HTTPNotFound(headers=FRAME_HEADERS)
        response.headers.update(FRAME_HEADERS)
        return response

    return telemetry_ui


async def _serve(request, resolve_dist):
    tail = _safe_tail(request.match_info.get("tail", ""))
    if tail is None:
        raise web.HTTPNotFound()
    dist = resolve_dist()
    if not os.path.isfile(os.path.join(dist, "index.html")):
        return web.Response(
            text=NO_DIST.format(dist=dist),
            content_type="text/html",
            headers={"Cache-Control": REVALIDATE},
        )
    if tail and tail != "index.html":
        root = os.path.realpath(dist)
        target = os.path.realpath(os.path.join(root, tail))
        if not target.startswith(root + os.sep):
            raise web.HTTPNotFound()
        if os.path.isfile(target):
            return await _file_response(request, target, os.path.relpath(target, root))
        if "." in tail.rsplit("/", 1)[-1]:
            # A missing asset, not an app route: the index would only confuse the browser.
            raise web.HTTPNotFound()
    # Any other path is a route of the single-page app.
    return await _index_response(request, dist)


async def _redirect(request):
    raise web.HTTPFound(PREFIX)


def register(server, resolve_dist=dist_dir):
    handler = make_handler(resolve_dist)
    app = getattr(server, "app", None)
    router = getattr(app, "router", None)
    if router is not None:
        router.add_get(PREFIX.rstrip("/"), _redirect)
        router.add_get(PREFIX + "{tail:.*}", handler)
    else:  # no app to add to: fall back to the route table (it then also gets /api twins)
        server.routes.get(PREFIX.rstrip("/"))(_redirect)
        server.routes.get(PREFIX + "{tail:.*}")(handler)

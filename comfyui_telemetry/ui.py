"""`/telemetry/ui/`: the built dashboard (a single-page app) served by ComfyUI itself.

Served from the same origin as ComfyUI, the dashboard passes ComfyUI's origin check with no
`--enable-cors-header`. Registered on the aiohttp router directly rather than on
`PromptServer.routes`, so that `add_routes()` does not give it an `/api` twin.
"""

import os
import re

from aiohttp import web

PREFIX = "/telemetry/ui/"
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

NO_DIST = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ComfyUI telemetry</title></head>
<body style="font-family: sans-serif; max-width: 42em; margin: 3em auto">
<h1>ComfyUI telemetry: dashboard not built</h1>
<p>The <code>/telemetry</code> WebSocket is live, but no built dashboard was found at
<code>{dist}</code>.</p>
<p>Build it from the project checkout with
<code>scripts/build.sh --public-url /telemetry/ui/</code>, then either set
<code>COMFY_TELEMETRY_DIST</code> to the resulting <code>dist/</code> folder, copy that folder
to <code>&lt;this custom node&gt;/dist</code>, or symlink the custom node from the checkout.
Reload this page afterwards; no restart is needed.</p>
</body></html>
"""


def dist_dir(package_dir=PACKAGE_DIR):
    """`COMFY_TELEMETRY_DIST`, else `<package>/dist`, else the checkout's `dist/` when the
    package is a symlink into it (custom_nodes/comfyui_telemetry -> <repo>/comfyui_telemetry)."""
    env = os.environ.get("COMFY_TELEMETRY_DIST")
    if env:
        return env
    own = os.path.join(package_dir, "dist")
    if os.path.isdir(own):
        return own
    real = os.path.realpath(package_dir)
    if real != os.path.abspath(package_dir):
        repo = os.path.join(os.path.dirname(real), "dist")
        if os.path.isdir(repo):
            return repo
    return own


def mount_index(html, names, prefix=PREFIX):
    """Makes an index.html built for `/` work under `prefix`.

    Trunk writes its public URL into `<base href>` and into absolute asset URLs. A build made
    with `--public-url /telemetry/ui/` needs nothing; one made for `/` gets those rewritten.
    """
    if not re.search(r"<base\s+href=\"/\"", html):
        return html
    html = re.sub(r"<base\s+href=\"/\"", f'<base href="{prefix}"', html, count=1)
    for name in sorted(names, key=len, reverse=True):
        html = re.sub(
            r"([\"'])/" + re.escape(name) + r"(?=[\"'/?#])",
            lambda m: m.group(1) + prefix + name,
            html,
        )
    return html


def _index_response(dist):
    with open(os.path.join(dist, "index.html"), encoding="utf-8") as f:
        html = f.read()
    try:
        names = os.listdir(dist)
    except OSError:
        names = []
    return web.Response(
        text=mount_index(html, names),
        content_type="text/html",
        headers={"Cache-Control": "no-cache"},
    )


def make_handler(resolve_dist=dist_dir):
    async def telemetry_ui(request):
        dist = resolve_dist()
        if not os.path.isfile(os.path.join(dist, "index.html")):
            return web.Response(text=NO_DIST.format(dist=dist), content_type="text/html")
        tail = request.match_info.get("tail", "")
        if tail and tail != "index.html":
            root = os.path.realpath(dist)
            target = os.path.realpath(os.path.join(root, tail))
            if not target.startswith(root + os.sep):
                raise web.HTTPNotFound()
            if os.path.isfile(target):
                return web.FileResponse(target)
            if "." in tail.rsplit("/", 1)[-1]:
                # A missing asset, not an app route: the index would only confuse the browser.
                raise web.HTTPNotFound()
        # Any other path is a route of the single-page app.
        return _index_response(dist)

    return telemetry_ui


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

"""Server-side notifications: a POST to each configured URL when a run succeeds, fails or is
interrupted, and when the queue drains, from one thread of its own (urllib), never from
ComfyUI's loop or worker.

Settings come from the environment and from `webhooks.json` in the run log's folder:

    COMFY_TELEMETRY_WEBHOOK_URL      one or more URLs (comma or space separated)
    COMFY_TELEMETRY_WEBHOOK_FORMAT   json (default) | ntfy | discord | slack
    COMFY_TELEMETRY_WEBHOOK_EVENTS   default succeeded,failed,interrupted,drained
    COMFY_TELEMETRY_WEBHOOK_TIMEOUT  seconds per attempt (default 5)
    COMFY_TELEMETRY_WEBHOOK_RETRIES  retries after a failed attempt (default 3)
    COMFY_TELEMETRY_WEBHOOK_BACKOFF  seconds before the first retry, doubled each time (default 1)

    webhooks.json: {"webhooks": [{"url": "...", "format": "ntfy", "events": ["failed"],
                                  "headers": {"Authorization": "Bearer ..."}}]}

A delivery that fails with a network error, a timeout, 429 or 5xx is retried after 1 s, 2 s,
4 s, ... (other receivers are served meanwhile); other answers are final. The outgoing queue is
bounded (the oldest waiting delivery is dropped); every outcome is counted (`counters()`).
"""

import heapq
import itertools
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from .._log import once

EVENTS = ("succeeded", "failed", "interrupted", "drained")
FORMATS = ("json", "ntfy", "discord", "slack")
FILE = "webhooks.json"
MAX_QUEUE = 1000
MAX_BODY_TEXT = 1500


class Hook:
    def __init__(self, url, fmt="json", events=EVENTS, headers=None):
        self.url = url
        self.format = fmt if fmt in FORMATS else "json"
        self.events = frozenset(e for e in events if e in EVENTS)
        self.headers = {str(k): str(v) for k, v in (headers or {}).items()}


def load(folder=None, environ=None):
    """The configured hooks: the environment's, then the settings file's."""
    env = os.environ if environ is None else environ
    hooks = []
    events = _list(env.get("COMFY_TELEMETRY_WEBHOOK_EVENTS")) or EVENTS
    fmt = (env.get("COMFY_TELEMETRY_WEBHOOK_FORMAT") or "json").strip().lower()
    for url in _list(env.get("COMFY_TELEMETRY_WEBHOOK_URL")):
        if _http(url):
            hooks.append(Hook(url, fmt, events))
        else:
            once("webhook-url", "ignoring a webhook URL that is not http or https")
    path = os.path.join(folder, FILE) if folder else None
    if path and os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as f:
                spec = json.load(f)
            for entry in spec.get("webhooks") or ():
                url = entry.get("url")
                if isinstance(url, str) and _http(url):
                    hooks.append(Hook(url, str(entry.get("format") or "json").lower(),
                                      entry.get("events") or EVENTS, entry.get("headers")))
        except Exception as e:
            once("webhook-file", "could not read %s: %r", path, e)
    return hooks


def _list(raw):
    return [p for p in (raw or "").replace(",", " ").split() if p]


def _http(url):
    return url.lower().startswith(("http://", "https://"))


def summary(doc):
    """The plain-JSON notification of a finished run (no prompt text, no widget values)."""
    run = doc.get("run") or {}
    error = run.get("error") or {}
    return {
        "event": "run." + doc.get("status", "unknown"), "prompt_id": doc.get("prompt_id"),
        "number": run.get("number"), "status": doc.get("status"),
        "workflow": doc.get("workflow"), "duration_ms": doc.get("duration_ms"),
        "started_ms": run.get("server_started_ms"), "ended_ms": run.get("server_ended_ms"),
        "client": doc.get("client"),
        "outputs": [o.get("filename") for o in run.get("outputs") or () if o.get("filename")][:50],
        "error": {"node_id": error.get("node_id"), "node_type": error.get("node_type"),
                  "exception_type": error.get("exception_type"),
                  "exception_message": (error.get("exception_message") or "")[:MAX_BODY_TEXT]}
        if error else None,
        "comfyui_version": (doc.get("env") or {}).get("comfyui_version"),
    }


def text_of(payload):
    if payload["event"] == "queue.drained":
        return "ComfyUI: queue empty"
    secs = payload.get("duration_ms")
    took = f" in {secs / 1000:.1f} s" if isinstance(secs, (int, float)) and secs >= 0 else ""
    line = f"ComfyUI run {payload['status']}{took}: {payload.get('workflow') or payload['prompt_id']}"
    if payload.get("error"):
        e = payload["error"]
        line += f"\n{e.get('exception_type') or 'error'}: {e.get('exception_message') or ''}"
    return line[:MAX_BODY_TEXT]


def request_of(hook, payload):
    """(body bytes, headers) of one notification in the hook's format."""
    headers = {"User-Agent": "comfyui-telemetry"}
    if hook.format == "ntfy":
        headers.update({"Content-Type": "text/plain; charset=utf-8", "Title": "ComfyUI",
                        "Tags": {"run.succeeded": "white_check_mark", "run.failed": "x",
                                 "run.interrupted": "stop_sign"}.get(payload["event"], "inbox_tray")})
        if payload["event"] == "run.failed":
            headers["Priority"] = "high"
        body = text_of(payload).encode("utf-8")
    elif hook.format in ("discord", "slack"):
        headers["Content-Type"] = "application/json"
        key = "content" if hook.format == "discord" else "text"
        body = json.dumps({key: text_of(payload)}).encode("utf-8")
    else:
        headers["Content-Type"] = "application/json"
        body = json.dumps(payload).encode("utf-8")
    headers.update(hook.headers)
    return body, headers


class Sender:
    """The delivery thread, its bounded queue of due deliveries and its counters."""

    def __init__(self, hooks, *, timeout=5.0, retries=3, backoff=1.0, max_queue=MAX_QUEUE,
                 opener=None):
        self.hooks = list(hooks)
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.max_queue = max_queue
        self.open = opener or urllib.request.urlopen
        self.heap = []
        self.seq = itertools.count()
        self.cond = threading.Condition()
        self.stats = {"webhook_delivered_total": 0, "webhook_failed_total": 0,
                      "webhook_retries_total": 0, "webhook_dropped_total": 0}
        self.thread = None
        self.stopping = False

    @classmethod
    def from_env(cls, hooks, environ=None):
        env = os.environ if environ is None else environ

        def num(name, default):
            try:
                return max(0.0, float(env.get(name) or default))
            except ValueError:
                return default

        return cls(hooks, timeout=num("COMFY_TELEMETRY_WEBHOOK_TIMEOUT", 5.0) or 5.0,
                   retries=int(num("COMFY_TELEMETRY_WEBHOOK_RETRIES", 3)),
                   backoff=num("COMFY_TELEMETRY_WEBHOOK_BACKOFF", 1.0))

    def counters(self):
        with self.cond:
            return dict(self.stats, webhook_queue=len(self.heap))

    # --- producers (the writer thread) ------------------------------------------------------------

    def run_finished(self, doc):
        status = doc.get("status")
        if status in ("succeeded", "failed", "interrupted"):
            self._enqueue(status, summary(doc))

    def queue_drained(self):
        self._enqueue("drained", {"event": "queue.drained",
                                  "timestamp": int(time.time() * 1000)})

    def _enqueue(self, event, payload):
        targets = [h for h in self.hooks if event in h.events]
        if not targets:
            return
        with self.cond:
            for hook in targets:
                if len(self.heap) >= self.max_queue:
                    heapq.heappop(self.heap)
                    self.stats["webhook_dropped_total"] += 1
                heapq.heappush(self.heap, (time.monotonic(), next(self.seq), hook, payload, 0))
            if self.thread is None:
                self.thread = threading.Thread(target=self._main, name="telemetry-webhooks",
                                               daemon=True)
                self.thread.start()
            self.cond.notify()

    # --- the thread -----------------------------------------------------------------------

    def _main(self):
        while True:
            with self.cond:
                while not self.stopping and (not self.heap or self.heap[0][0] > time.monotonic()):
                    wait = self.heap[0][0] - time.monotonic() if self.heap else None
                    self.cond.wait(wait)
                if self.stopping:
                    return
                _, _, hook, payload, attempt = heapq.heappop(self.heap)
            outcome = self._deliver(hook, payload)
            with self.cond:
                if outcome == "ok":
                    self.stats["webhook_delivered_total"] += 1
                elif outcome == "retry" and attempt < self.retries:
                    self.stats["webhook_retries_total"] += 1
                    due = time.monotonic() + self.backoff * (2 ** attempt)
                    heapq.heappush(self.heap, (due, next(self.seq), hook, payload, attempt + 1))
                else:
                    self.stats["webhook_failed_total"] += 1

    def _deliver(self, hook, payload):
        try:
            body, headers = request_of(hook, payload)
            req = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")
            with self.open(req, timeout=self.timeout) as resp:
                resp.read(65536)
                return "ok" if 200 <= resp.status < 300 else "fail"
        except urllib.error.HTTPError as e:
            return "retry" if e.code == 429 or e.code >= 500 else "fail"
        except Exception as e:
            # Only the host: a webhook URL's path often is its secret (Discord, Slack).
            once("webhook-" + type(e).__name__, "webhook delivery to %s failed: %s",
                 urllib.parse.urlsplit(hook.url).netloc, type(e).__name__)
            return "retry"

    def stop(self, timeout=2.0):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        if self.thread is not None:
            self.thread.join(timeout)

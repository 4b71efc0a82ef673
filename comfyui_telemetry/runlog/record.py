"""One run as the run log keeps it, built from what the extension observed. Pure: times are
passed in (server wall-clock epoch ms), nothing here reads a clock or touches ComfyUI.

A record only gains information: node and run statuses never move backwards, a value once
known is not replaced by an unknown one, and the server's `execution_*` timestamps (from the
status `task_done` receives) win over the times messages were seen.

`doc()` is the JSON shape the API serves, close to the page's `StoredRun` (core/src/history/
record.rs) with its `run` field shaped like the page's `Run` (core/src/run/mod.rs, serde
names), so the page can decode and merge it; see docs/telemetry-protocol.md, "Run log".
"""

from . import params as P
from . import series as S
from .outputs import artifacts

DOC_VERSION = 1
NODE_RANK = {"pending": 0, "running": 1, "finished": 2, "cached": 2, "failed": 3,
             "interrupted": 3}
# status -> (rank, page RunStatus)
STATUS = {"queued": (0, "queued"), "running": (1, "running"), "lost": (2, "unknown"),
          "succeeded": (3, "succeeded"), "failed": (3, "failed"),
          "interrupted": (3, "interrupted")}
EXIT = {"queued": "queued", "running": "running", "lost": "lost", "succeeded": "success",
        "failed": "error", "interrupted": "interrupted"}
TERMINAL_EVENTS = {"execution_success": "succeeded", "execution_error": "failed",
                   "execution_interrupted": "interrupted"}
# ComfyUI's exception_type for a blocked node: sent as `execution_error`, but not an end.
BLOCKED = "ExecutionBlocked"
MAX_OUTPUTS = 500
MAX_TRACEBACK = 60


def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


class Run:
    """The mutable record of one prompt inside the writer thread."""

    def __init__(self, prompt_id, now_ms):
        self.prompt_id = prompt_id
        self.number = None
        self.client = None
        self.status = "queued"
        self.first_seen_ms = now_ms
        self.queued_ms = None
        self.started_ms = None  # when it was taken from the queue / first message
        self.ended_ms = None
        self.server_started_ms = None
        self.server_ended_ms = None
        self.nodes = {}
        self.current_node = None
        self.outputs = []
        self.error = None
        self.interrupted_node = None
        self.workflow = None
        self.workflow_name = None
        self.workflow_id = None
        self.graph_hash = ""
        self.params = {}
        self.env = {}
        self.gpu_name = None
        self.cpu_only = False
        self.vram_total = None
        self.vram_free_before = None
        self.vram_free_after = None
        self.vram_peak_used = None
        self.vram_free_last = None
        self.server_node_states = False
        self.lost_reason = None
        self.series = None  # series.Series once the run started
        self.last_update_ms = now_ms

    # --- facts -----------------------------------------------------------------------------

    def set_status(self, status):
        if STATUS[status][0] >= STATUS[self.status][0] and not (
                STATUS[self.status][0] == 3 and status != self.status):
            self.status = status

    @property
    def terminal(self):
        return STATUS[self.status][0] >= 2

    def node(self, node_id):
        node_id = str(node_id)
        n = self.nodes.get(node_id)
        if n is None:
            n = self.nodes[node_id] = {
                "id": node_id, "class_type": None, "status": "pending", "started_ms": None,
                "finished_ms": None, "value": None, "max": None, "in_prompt": False,
                "copies": 0, "activity": None, "server_seconds": None, "blocked": None}
        return n

    def node_status(self, node_id, status, now_ms):
        n = self.node(node_id)
        if NODE_RANK[status] < NODE_RANK[n["status"]]:
            return n
        if status == "running" and n["started_ms"] is None:
            n["started_ms"] = now_ms
        if status in ("finished", "failed", "interrupted") and n["finished_ms"] is None:
            if n["status"] == "running" or n["started_ms"] is not None:
                n["finished_ms"] = now_ms
        if not (NODE_RANK[status] == NODE_RANK[n["status"]] == 2):
            n["status"] = status
        return n

    def queued(self, now_ms, number, client, prompt, extra, *, store_text, hidden, env):
        self.queued_ms = self.queued_ms or now_ms
        self.number = number if self.number is None else self.number
        self.client = client
        nodes = P._nodes(prompt)
        for node_id, node in nodes.items():
            n = self.node(node_id)
            n["class_type"] = node["class_type"]
            n["in_prompt"] = True
        self.graph_hash = P.graph_hash(prompt)
        self.workflow = P.workflow_label(prompt)
        name, wf_id, frontend = P.workflow_identity(extra)
        self.workflow_name, self.workflow_id = name, wf_id
        self.params = P.extract(prompt, store_text=store_text, hidden=hidden)
        self.env = dict(env)
        if frontend:
            self.env["frontend_version"] = frontend
        self.last_update_ms = now_ms

    def started(self, now_ms):
        self.started_ms = self.started_ms or now_ms
        self.set_status("running")
        self.last_update_ms = now_ms

    def message(self, event, data, now_ms):
        """A message ComfyUI sent about this prompt (`data` already reduced to small fields)."""
        self.last_update_ms = now_ms
        stamp = _num(data.get("timestamp"))
        if event == "execution_start":
            self.started(now_ms)
            if stamp is not None:
                self.server_started_ms = int(stamp)
        elif event == "execution_cached":
            for node_id in data.get("nodes") or ():
                self.node_status(node_id, "cached", now_ms)
        elif event == "executing":
            node = data.get("node")
            if self.terminal and node is not None:
                return
            self.started(now_ms)
            if self.current_node is not None and self.current_node != node:
                prev = self.nodes.get(self.current_node)
                if prev is not None and prev["status"] == "running":
                    self.node_status(self.current_node, "finished", now_ms)
            if node is not None:
                self.node_status(node, "running", now_ms)
                self.current_node = str(node)
        elif event == "executed":
            node = data.get("node")
            if node is not None:
                self.node_status(node, "finished", now_ms)
                self.add_outputs(node, data.get("output"))
        elif event == "progress":
            node = data.get("node")
            if node is not None and not self.terminal:
                n = self.node_status(node, "running", now_ms)
                n["value"], n["max"] = _num(data.get("value")), _num(data.get("max"))
        elif event == "progress_state":
            self.server_node_states = True
            for node_id, state in (data.get("nodes") or {}).items():
                status = {"running": "running", "finished": "finished"}.get(state.get("state"))
                if status is None or (self.terminal and status == "running"):
                    continue
                self.started(now_ms)
                n = self.node_status(node_id, status, now_ms)
                if state.get("max") is not None:
                    n["value"], n["max"] = _num(state.get("value")), _num(state.get("max"))
                if status == "running":
                    self.current_node = str(node_id)
        elif event == "execution_error" and data.get("exception_type") == BLOCKED:
            # An ExecutionBlocker with a message: the node was blocked on purpose, the prompt
            # goes on and ComfyUI's history records success (execution.py execution_block_cb).
            node = data.get("node_id")
            if node is not None:
                self.node_status(node, "finished", now_ms)
        elif event in TERMINAL_EVENTS:
            self.end(event, data, stamp, now_ms)

    def end(self, event, data, stamp, now_ms):
        status = TERMINAL_EVENTS[event]
        if stamp is not None and self.server_ended_ms is None:
            self.server_ended_ms = int(stamp)
        self.ended_ms = self.ended_ms or now_ms
        self.set_status(status)
        node = data.get("node_id")
        if status == "failed":
            if self.error is None:
                self.error = {
                    "prompt_id": self.prompt_id, "node_id": _str(node),
                    "node_type": _str(data.get("node_type")),
                    "exception_type": _str(data.get("exception_type")),
                    "exception_message": _str(data.get("exception_message")),
                    "traceback": [t for t in (data.get("traceback") or ()) if isinstance(t, str)][-MAX_TRACEBACK:],
                    "executed": [str(x) for x in (data.get("executed") or ())],
                    "timestamp": int(stamp) if stamp is not None else None}
            if node is not None:
                self.node_status(node, "failed", now_ms)
        elif status == "interrupted" and node is not None:
            self.interrupted_node = str(node)
            self.node_status(node, "interrupted", now_ms)
        for n in self.nodes.values():
            if n["status"] == "running":
                self.node_status(n["id"], "finished" if status == "succeeded" else "interrupted",
                                 now_ms)
        if status == "succeeded":
            self.current_node = None

    def done(self, now_ms, status_str, messages, outputs):
        """`task_done`: ComfyUI's own status (its messages carry the timestamps) and outputs."""
        terminal_seen = False
        for event, data in messages:
            if event == "execution_error" and data.get("exception_type") == BLOCKED:
                continue  # not an end (see `message`)
            if event in TERMINAL_EVENTS:
                terminal_seen = True
            if event == "execution_start" and _num(data.get("timestamp")) is not None:
                self.server_started_ms = int(data["timestamp"])
                self.started(now_ms)
            elif event in ("execution_cached",) or event in TERMINAL_EVENTS:
                self.message(event, data, now_ms)
                if event in TERMINAL_EVENTS and _num(data.get("timestamp")) is not None:
                    self.server_ended_ms = int(data["timestamp"])  # the status is authoritative
        if not terminal_seen:
            self.end("execution_success" if status_str == "success" else "execution_error",
                     {}, None, now_ms)
        if isinstance(outputs, dict):
            for node_id in P.sorted_ids(outputs):
                self.add_outputs(node_id, outputs[node_id])
        self.last_update_ms = now_ms

    def add_outputs(self, node_id, output):
        for a in artifacts(node_id, output):
            if len(self.outputs) >= MAX_OUTPUTS:
                return
            if not any(o["node_id"] == a["node_id"] and o["filename"] == a["filename"]
                       and o["subfolder"] == a["subfolder"] and o["text"] == a["text"]
                       for o in self.outputs):
                self.outputs.append(a)

    def memory(self, sample):
        """A device sample (gpu.py shape) taken while the run was open or just after it."""
        if not isinstance(sample, dict):
            return
        free, total = _num(sample.get("vram_free")), _num(sample.get("vram_total"))
        self.gpu_name = self.gpu_name or _str(sample.get("name"))
        self.cpu_only = bool(sample.get("cpu_only")) or self.cpu_only
        if total is not None:
            self.vram_total = total
        if free is None:
            return
        if self.status == "running":
            if self.vram_free_before is None:
                self.vram_free_before = free
            self.vram_free_last = free
            if total is not None:
                used = total - free
                self.vram_peak_used = max(self.vram_peak_used or 0, used)
        elif self.terminal and self.vram_free_after is None and self.status != "lost":
            self.vram_free_after = free

    def tick(self, sample, now_ms):
        """About once a second while the run is open, and once as it ends: memory figures and
        one point of the run's series."""
        if sample is not None:
            self.memory(sample)
        if self.status == "queued" or (self.terminal and self.series is None):
            return
        if self.series is None:
            self.series = S.Series(self.prompt_id, self.start_ms())
        self.series.record(self, sample, now_ms)

    def lose(self, reason, now_ms):
        """ComfyUI went away while this run was queued or running."""
        if self.terminal:
            return
        self.lost_reason = reason
        self.status = "lost"
        self.last_update_ms = now_ms

    # --- views -----------------------------------------------------------------------------

    def start_ms(self):
        for t in (self.server_started_ms, self.started_ms, self.queued_ms):
            if t is not None:
                return t
        return self.first_seen_ms

    def duration_ms(self):
        if self.server_started_ms is not None and self.server_ended_ms is not None:
            return max(0, self.server_ended_ms - self.server_started_ms)
        if self.started_ms is not None and self.ended_ms is not None:
            return max(0, self.ended_ms - self.started_ms)
        return -1

    def display_workflow(self):
        return self.workflow_name or self.workflow or ""

    def search_text(self):
        # Node types are listed once below, so the synthetic "A → B" name is not repeated.
        parts = [self.prompt_id, self.workflow_name or "", self.client or "", self.gpu_name or ""]
        parts += sorted({n["class_type"] for n in self.nodes.values() if n["class_type"]})
        parts += [o["filename"] for o in self.outputs if o["filename"]]
        if self.error:
            parts += [self.error.get(k) or "" for k in ("exception_type", "exception_message",
                                                         "node_type")]
        for key in ("checkpoint", "vae", "lora", "sampler", "scheduler"):
            value = self.params.get(key)
            if isinstance(value, str):
                parts.append(value)
        return " ".join(p for p in parts if p).lower()

    def run_json(self):
        """The page's `Run`, field for field."""
        return {
            "server": "", "prompt_id": self.prompt_id, "number": self.number,
            "client_id": self.client, "status": STATUS[self.status][1], "source": "stream",
            "first_seen_ms": self.first_seen_ms, "queued_at_ms": self.queued_ms,
            "started_at_ms": self.started_ms, "ended_at_ms": self.ended_ms,
            "server_started_ms": self.server_started_ms, "server_ended_ms": self.server_ended_ms,
            "server_queued_ms": self.queued_ms,
            "nodes": [self.nodes[k] for k in P.sorted_ids(self.nodes)],
            "node_total": sum(1 for n in self.nodes.values() if n["in_prompt"]) or None,
            "current_node": self.current_node, "outputs": self.outputs, "error": self.error,
            "interrupted_node": self.interrupted_node, "workflow": self.display_workflow() or None,
            "progress_text": None, "last_update_ms": self.last_update_ms, "reconstructed": False,
            "history_attempts": None, "gpu_name": self.gpu_name, "reported_vram_delta": None,
            "reported_duration_s": None, "vram_total": self.vram_total,
            "vram_free_before": self.vram_free_before,
            "vram_free_after": self.vram_free_after if self.status != "lost" else self.vram_free_last,
            "vram_peak_used": self.vram_peak_used, "cpu_only": self.cpu_only,
            "stream_lost": False, "follow": None, "notes": [],
            "server_node_states": self.server_node_states, "lost_reason": self.lost_reason,
        }

    def doc(self):
        """The API's run record (StoredRun-like; `key` and `server` are the page's to fill)."""
        return {
            "prompt_id": self.prompt_id, "start_ms": self.start_ms(),
            "duration_ms": self.duration_ms(), "status": self.status,
            "exit_reason": EXIT[self.status], "gpu": self.gpu_name or "",
            "workflow": self.display_workflow(), "workflow_id": self.workflow_id,
            "graph_hash": self.graph_hash, "client": self.client, "version": DOC_VERSION,
            "source": "server", "params": self.params, "env": self.env,
            "vram_free_last": self.vram_free_last,
            "series": self.series.json() if self.series is not None else None,
            "run": self.run_json(),
        }


def from_doc(doc):
    """A record back from its stored doc (to mark it lost after a restart)."""
    r = doc.get("run") or {}
    run = Run(doc["prompt_id"], r.get("first_seen_ms") or 0)
    run.number, run.client = r.get("number"), doc.get("client")
    run.status = doc.get("status") if doc.get("status") in STATUS else "running"
    run.queued_ms, run.started_ms, run.ended_ms = (r.get("queued_at_ms"), r.get("started_at_ms"),
                                                   r.get("ended_at_ms"))
    run.server_started_ms, run.server_ended_ms = r.get("server_started_ms"), r.get("server_ended_ms")
    run.nodes = {n["id"]: n for n in r.get("nodes") or () if isinstance(n, dict) and "id" in n}
    run.current_node, run.outputs, run.error = r.get("current_node"), r.get("outputs") or [], r.get("error")
    run.interrupted_node = r.get("interrupted_node")
    run.workflow_name = doc.get("workflow") or None
    run.workflow_id, run.graph_hash = doc.get("workflow_id"), doc.get("graph_hash") or ""
    run.params, run.env = doc.get("params") or {}, doc.get("env") or {}
    run.gpu_name, run.cpu_only = r.get("gpu_name"), bool(r.get("cpu_only"))
    run.vram_total, run.vram_free_before = r.get("vram_total"), r.get("vram_free_before")
    run.vram_free_last = doc.get("vram_free_last", r.get("vram_free_after"))
    run.vram_peak_used = r.get("vram_peak_used")
    run.server_node_states = bool(r.get("server_node_states"))
    run.lost_reason, run.last_update_ms = r.get("lost_reason"), r.get("last_update_ms") or 0
    run.series = S.from_json(doc.get("series"))
    return run


def _str(v):
    return v if isinstance(v, str) else (str(v) if isinstance(v, int) and not isinstance(v, bool) else None)

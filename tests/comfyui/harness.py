"""Start and stop a real ComfyUI 0.3.64 for the integration tests.

The source and its venv come from `tests/comfyui/venv.sh` (cached outside the repository, keyed
on the requirements). Each server gets a free port and a fresh `--base-directory`, our test nodes
(`tests/comfyui_nodes/`) and, when asked, the extension (`comfyui_telemetry/`, linked so that it
finds the checkout's `dist/`). It is stopped by the pid it was started with.

Used from pytest (`conftest.py`) and, through the command line, from Playwright:

    python tests/comfyui/harness.py serve [--extension] [--proxy-dist DIR]

prints one JSON line `{"url": ..., "pid": ..., "base": ..., "proxy": ...}` once ComfyUI answers and
runs until SIGTERM (with `--control`, also obeys `restart S` / `down` / `up` / `stop`,
`queue WORKFLOW CLIENT_ID|- [JSON kwargs]` and `batch PASSES` (execution_batch.py) lines on stdin,
each answered by one JSON line). `--proxy-dist` also serves a built dashboard on a second port
and forwards `/ws`, `/api/`, `/telemetry` and the other ComfyUI routes to ComfyUI, like the
development proxy (`trunk serve`): one origin, no CORS flag.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
NODES = REPO / "tests" / "comfyui_nodes"
EXTENSION = REPO / "comfyui_telemetry"


class HarnessError(RuntimeError):
    """ComfyUI could not be prepared or did not start."""


def prepare() -> tuple[Path, Path]:
    """(source folder, venv python): installs them once through venv.sh."""
    src = os.environ.get("COMFYUI_SRC")
    py = os.environ.get("COMFYUI_PYTHON")
    if src and py:
        return Path(src), Path(py)
    out = subprocess.run(
        ["bash", str(REPO / "tests" / "comfyui" / "venv.sh")], check=True, capture_output=True, text=True
    ).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return Path(values["COMFYUI_SRC"]), Path(values["COMFYUI_PYTHON"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ComfyServer:
    """One ComfyUI process on a free port with its own base directory."""

    def __init__(self, *, extension: bool, extra_args=(), env=None, base: Path | None = None, port=None,
                 test_nodes: bool = True):
        self.src, self.python = prepare()
        self.extension = extension
        # False: custom_nodes/ holds only what the test puts there (a packaged node, a clone).
        self.test_nodes = test_nodes
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.base = Path(base) if base else Path(tempfile.mkdtemp(prefix="comfy-base-"))
        self._owns_base = base is None
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.base / "comfyui.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _lay_out(self):
        nodes = self.base / "custom_nodes"
        nodes.mkdir(parents=True, exist_ok=True)
        target = nodes / "telemetry_test_nodes"
        if self.test_nodes and not target.exists():
            shutil.copytree(NODES, target, ignore=shutil.ignore_patterns("__pycache__"))
        link = nodes / "comfyui_telemetry"
        if self.extension and not link.exists():
            link.symlink_to(EXTENSION, target_is_directory=True)
        if not self.extension and link.is_symlink():
            link.unlink()

    def start(self, timeout=180.0) -> "ComfyServer":
        self._lay_out()
        env = dict(os.environ)
        env.update(self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        log = open(self.log_path, "ab")
        cmd = [
            str(self.python),
            "main.py",
            "--cpu",
            "--listen",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--disable-auto-launch",
            "--base-directory",
            str(self.base),
            *self.extra_args,
        ]
        self.proc = subprocess.Popen(cmd, cwd=self.src, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"ComfyUI exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/system_stats", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise HarnessError(f"ComfyUI did not answer /system_stats within {timeout}s:\n{self.log_tail()}")

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)

    def restart(self, down_seconds=0.0, timeout=180.0):
        """Stops the server, waits, and starts it again on the same port and base (fresh history)."""
        self.stop()
        time.sleep(down_seconds)
        return self.start(timeout)

    def close(self):
        self.stop()
        if self._owns_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, lines=60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # --- small synchronous HTTP helpers (tests use aiohttp for sockets) ---------------------------
    def request(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw) if raw else None
            except ValueError:
                return e.code, raw.decode(errors="replace")

    def queue_prompt(self, prompt, client_id=None, extra_data=None, prompt_id=None, targets=None):
        """`targets`: ComfyUI's `partial_execution_targets` (run only these output nodes)."""
        body = {"prompt": prompt}
        if targets is not None:
            body["partial_execution_targets"] = targets
        if client_id is not None:
            body["client_id"] = client_id
        if extra_data is not None:
            body["extra_data"] = extra_data
        if prompt_id is not None:
            body["prompt_id"] = prompt_id
        return self.request("POST", "/prompt", body)

    def history(self, prompt_id=None):
        status, body = self.request("GET", f"/history/{prompt_id}" if prompt_id else "/history")
        return body if status == 200 else None

    def wait_history(self, prompt_id, timeout=60.0):
        """The history entry once the prompt has finished (completed or not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entry = (self.history(prompt_id) or {}).get(prompt_id)
            if entry and entry.get("status", {}).get("completed") is not None and entry["status"].get("status_str"):
                return entry
            time.sleep(0.1)
        raise HarnessError(f"prompt {prompt_id} not in history after {timeout}s")

    def wait_idle(self, timeout=120.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, q = self.request("GET", "/queue")
            if q and not q.get("queue_running") and not q.get("queue_pending"):
                return
            time.sleep(0.1)
        raise HarnessError(f"queue not idle after {timeout}s")


def _serve(argv):
    import argparse

    ap = argparse.ArgumentParser(prog="harness.py serve")
    ap.add_argument("--extension", action="store_true", help="load comfyui_telemetry/")
    ap.add_argument("--proxy-dist", help="also serve this built dashboard behind a same-origin proxy")
    ap.add_argument("--port", type=int, default=None)
    ap.add_argument("--control", action="store_true", help="obey restart/down/up/stop lines on stdin")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for ComfyUI's environment")
    ap.add_argument("comfy_args", nargs="*", help="extra ComfyUI arguments (after --)")
    args = ap.parse_args(argv)
    env = dict(kv.split("=", 1) for kv in args.env)
    server = ComfyServer(extension=args.extension, extra_args=args.comfy_args, env=env, port=args.port)
    proxy = None
    try:
        server.start()
        info = {"url": server.url, "pid": server.proc.pid, "base": str(server.base), "port": server.port}
        if args.proxy_dist:
            proxy = subprocess.Popen(
                [str(server.python), str(Path(__file__).with_name("proxy.py")), server.url, args.proxy_dist],
                stdout=subprocess.PIPE,
                text=True,
            )
            info["proxy"] = json.loads(proxy.stdout.readline())["url"]
        print(json.dumps(info), flush=True)
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
        if not args.control:
            while not stop["now"]:
                time.sleep(0.25)
            return
        # Control lines on stdin: `restart SECONDS` (stop, wait, start on the same port), `down`,
        # `up`, `stop`; stdin closing stops too (the test runner died).
        import queue
        import threading

        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in iter(sys.stdin.readline, "")] + [lines.put("")],
                         daemon=True).start()
        while not stop["now"]:
            try:
                line = lines.get(timeout=0.25)
            except queue.Empty:
                continue
            if not line:
                break
            cmd = line.split()
            if cmd[:1] == ["restart"]:
                server.restart(float(cmd[1]) if len(cmd) > 1 else 0.0)
                print(json.dumps({"restarted": True, "pid": server.proc.pid}), flush=True)
            elif cmd[:1] == ["down"]:
                server.stop()
                print(json.dumps({"down": True}), flush=True)
            elif cmd[:1] == ["up"]:
                server.start()
                print(json.dumps({"up": True, "pid": server.proc.pid}), flush=True)
            elif cmd[:1] == ["queue"]:
                # `queue WORKFLOW CLIENT_ID|- [JSON kwargs]`: a prompt from tests/comfyui/workflows.py;
                # the kwarg `_targets` is not the workflow's: it runs only those output nodes.
                import workflows

                kwargs = json.loads(" ".join(cmd[3:])) if len(cmd) > 3 else {}
                targets = kwargs.pop("_targets", None)
                client = None if len(cmd) < 3 or cmd[2] == "-" else cmd[2]
                status, body = server.queue_prompt(getattr(workflows, cmd[1])(**kwargs), client, targets=targets)
                print(json.dumps({"queued": cmd[1], "status": status, "body": body}), flush=True)
            elif cmd[:1] == ["batch"]:
                # `batch PASSES`: execution_batch.py's prompts, queued back to back by its own
                # client; answers once all of them are in /history, one row per queued prompt.
                import execution_batch

                try:
                    rows = execution_batch.run_batch(server.url, passes=int(cmd[1]) if len(cmd) > 1 else 1)
                    print(json.dumps({"batch": rows}), flush=True)
                except Exception as e:  # the test reads the reason; the server keeps running
                    print(json.dumps({"batch": None, "error": repr(e)}), flush=True)
            elif cmd[:1] == ["stop"]:
                break
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=10)
        server.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        _serve(sys.argv[2:])
    elif sys.argv[1:2] == ["prepare"]:
        print(json.dumps([str(p) for p in prepare()]))
    else:
        print(__doc__)
        sys.exit(2)

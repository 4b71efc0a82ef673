"""The run log: every run this ComfyUI executes, kept in SQLite in a folder ComfyUI does not
serve, listed and deleted through `/telemetry/runs`, with the parameters that define each run
and optional webhooks when runs end. `install()` wires it onto a PromptServer; nothing here
may break ComfyUI: any failure leaves the run log off and is logged once.
"""

import atexit
import json
import sys

from .. import snapshot
from .._log import once, logger
from . import api, location, recorder, webhooks, who
from .config import Settings
from .params import Hidden
from .store import Store
from .writer import Writer

FEATURE = "runlog"


class RunLog:
    def __init__(self, store, writer, recorder_, sender, folder):
        self.store = store
        self.writer = writer
        self.recorder = recorder_
        self.sender = sender
        self.folder = folder
        self.pool = None

    def counters(self):
        """Counters for the metrics module: writes, dropped events, webhook outcomes."""
        out = dict(self.writer.counters())
        if self.sender is not None:
            out.update(self.sender.counters())
        return out

    def stop(self):
        """Stops the threads (the writer commits what it holds and closes its connection)."""
        self.writer.stop()
        if self.sender is not None:
            self.sender.stop()
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.store.close_readers()


def environment():
    """ComfyUI, front-end and torch versions and the device (read once, on the writer thread)."""
    env = {"comfyui_version": snapshot.comfyui_version()}
    try:
        from importlib import metadata  # noqa: PLC0415

        env["frontend_version"] = metadata.version("comfyui-frontend-package")
    except Exception:
        env["frontend_version"] = None
    torch = sys.modules.get("torch")
    env["torch_version"] = str(getattr(torch, "__version__", "")) or None if torch else None
    try:
        import comfy.model_management as mm  # noqa: PLC0415

        env["device"] = str(mm.get_torch_device_name(mm.get_torch_device()))
    except Exception:
        env["device"] = None
    env["python_version"] = sys.version.split()[0]
    return env


def node_inputs(class_type):
    """A node class's `INPUT_TYPES()` (ComfyUI's registry), for its hidden and password inputs."""
    import nodes  # noqa: PLC0415 - ComfyUI's nodes.py

    cls = nodes.NODE_CLASS_MAPPINGS.get(class_type)
    return cls.INPUT_TYPES() if cls is not None else None


def install(server, hub, *, settings=None, sampler=None, folder=None):
    """Starts the run log for `server` (None when it stays off) and registers its routes."""
    try:
        settings = settings or Settings.from_env()
        if not settings.enabled:
            return None
        folder = folder or settings.data_dir or location.default_dir()
        if folder is None:
            once("runlog-nodir", "no ComfyUI base directory and no COMFY_TELEMETRY_DATA_DIR: "
                 "the run log is off")
            return None
        served = location.served_by(folder)
        if served is not None:
            once("runlog-served", "run log folder %s is inside %s, which ComfyUI serves: "
                 "the run log is off", folder, served)
            return None
        store = Store(folder)
        hooks = webhooks.load(folder)
        sender = webhooks.Sender.from_env(hooks) if hooks else None
        redactor = hub.redactor

        def redact(doc):
            return json.loads(redactor.text("runlog", doc))["data"]

        writer = Writer(store, settings, sampler=sampler, redact=redact,
                        hidden=Hidden(node_inputs), env=environment,
                        on_finished=sender.run_finished if sender else None,
                        on_drained=sender.queue_drained if sender else None,
                        on_open=lambda: who.load_key(folder))
        rec = recorder.Recorder(writer)
        queue = getattr(server, "prompt_queue", None)
        if queue is None or not recorder.wrap_queue(queue, rec):
            once("runlog-queue", "no prompt queue to wrap: the run log sees messages only")
        hub.add_listener(rec.on_message)
        log = RunLog(store, writer, rec, sender, folder)
        api.register(server, log)
        writer.start()
        # A clean exit commits what the writer holds (a kill loses at most its last half second).
        atexit.register(writer.stop, 2.0)
        logger.info("[telemetry] run log in %s (%d webhook(s))", folder, len(hooks))
        return log
    except Exception as e:
        once("runlog-install", "run log could not start: %r", e, exc_info=True)
        return None

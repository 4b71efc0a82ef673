"""Wire protocol v1 of `/telemetry`: envelopes and the shapes of the `telemetry.*` messages.

The full description is in docs/telemetry-protocol.md. Field names are a contract with the
dashboard's decoder: add optional fields freely, never rename or remove one without bumping
PROTOCOL.
"""

import json
import time

from .pseudonym import pseudonym

PROTOCOL = 1
EXTENSION_VERSION = "0.1.0"


def now_ms():
    """Server wall-clock epoch milliseconds, like ComfyUI's `timestamp` fields."""
    return int(time.time() * 1000)


def envelope(kind, data):
    """ComfyUI's own text-frame layout; `json.dumps` defaults match aiohttp's `send_json`."""
    return json.dumps({"type": kind, "data": data})


def as_int(value):
    # ComfyUI's queue number is an int, or a float when the client posted `number`
    # (server.py post_prompt does float(json_data["number"])). Unknown is null, never -1.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def queue_tuple(item):
    """The plain queue tuple of a queue entry.

    ComfyUI 0.3.64 keeps `(number, prompt_id, prompt, extra_data, outputs_to_execute)` tuples
    (newer versions append a sixth `sensitive` element or wrap the tuple in an object with a
    `queue_tuple` attribute); accept all of these.
    """
    inner = getattr(item, "queue_tuple", None)
    if isinstance(inner, (tuple, list)):
        return inner
    if isinstance(item, (tuple, list)):
        return item
    return None


def queued_prompt(item):
    """QueuedPrompt for a queue entry, or None when it does not look like one."""
    t = queue_tuple(item)
    if t is None or len(t) < 2:
        return None
    prompt_id = t[1]
    if not isinstance(prompt_id, str):
        return None
    prompt = t[2] if len(t) > 2 and isinstance(t[2], dict) else {}
    extra = t[3] if len(t) > 3 and isinstance(t[3], dict) else {}
    client_id = extra.get("client_id")
    nodes = {}
    for node_id, node in prompt.items():
        class_type = node.get("class_type") if isinstance(node, dict) else None
        if isinstance(class_type, str):
            nodes[str(node_id)] = class_type
    return {
        "prompt_id": prompt_id,
        "number": as_int(t[0]),
        # Never the raw id (a socket id: whoever knows it can take that socket over).
        "client_id": pseudonym(client_id) if isinstance(client_id, str) else None,
        "node_count": len(prompt),
        "nodes": nodes,
    }


def hello(comfyui_version, running, pending, executing, replay_count, features=()):
    return {
        "protocol": PROTOCOL,
        "extension_version": EXTENSION_VERSION,
        "comfyui_version": comfyui_version,
        "queue": {"running": running, "pending": pending},
        "executing": executing,
        "replay": {"count": replay_count},
        # Optional parts of this server's extension the page may use (e.g. "runlog").
        "features": list(features),
    }


def dropped(count, total):
    return envelope("telemetry.dropped", {"count": count, "total": total})

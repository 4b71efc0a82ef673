"""The state a dashboard needs on (re)connect: ComfyUI version, queue and what is executing."""

from . import protocol
from ._log import once


def comfyui_version():
    """`comfyui_version.__version__` (the module ComfyUI's /system_stats reads), or None."""
    try:
        import comfyui_version as v  # noqa: PLC0415 - only present inside ComfyUI

        version = getattr(v, "__version__", None)
        return version if isinstance(version, str) else None
    except Exception:
        return None


def _number_key(p):
    n = p.get("number")
    return (n is None, n if n is not None else 0)


def queue_snapshot(server):
    """(running, pending) QueuedPrompt lists from the server's PromptQueue.

    ComfyUI's PromptQueue.get_current_queue() returns (running items, copy of pending items)
    under its mutex, like GET /queue. Pending items live in a heap, so they are sorted by
    number here (the order ComfyUI will run them in).
    """
    queue = getattr(server, "prompt_queue", None)
    get = getattr(queue, "get_current_queue", None)
    if get is None:
        return [], []
    try:
        running, pending = get()
    except Exception as e:
        once("queue-snapshot", "could not read the prompt queue: %r", e)
        return [], []
    run = [p for p in map(protocol.queued_prompt, running or []) if p is not None]
    pend = [p for p in map(protocol.queued_prompt, pending or []) if p is not None]
    pend.sort(key=_number_key)
    return run, pend


def executing(server, hub, running):
    """What is executing: tracked from mirrored messages, checked against the running queue."""
    prompt_id, node = hub.executing_prompt, hub.executing_node
    running_ids = [p["prompt_id"] for p in running]
    if getattr(server, "prompt_queue", None) is not None and prompt_id not in running_ids:
        # Finished without a message we could see (prompts without client_id send none).
        prompt_id, node = (running_ids[0] if running_ids else None), None
    if prompt_id is not None and node is None:
        # PromptServer remembers the last node it announced (server.py reconnect path).
        if getattr(server, "last_prompt_id", None) == prompt_id:
            last = getattr(server, "last_node_id", None)
            node = str(last) if last is not None else None
    return {"prompt_id": prompt_id, "node": node}


def hello(server, hub, replay_count):
    running, pending = queue_snapshot(server)
    return protocol.hello(
        comfyui_version(),
        running,
        pending,
        executing(server, hub, running),
        replay_count,
    )

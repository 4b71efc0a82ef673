"""Wrappers around PromptServer.send_json / send_bytes and PromptQueue.put.

ComfyUI 0.3.64 server.py: `send(event, data, sid)` dispatches to `send_json` for dicts and to
`send_bytes` for bytes (previews reach `send_bytes` through `send_image` /
`send_image_with_metadata`, progress text through `send_progress_text` -> `send_sync`).
`send_json` builds `{"type": event, "data": data}` and `send_bytes` sends
`encode_bytes(event, data)` (a big-endian u32 event, then the payload) to one sid or to all
sockets. Both are looked up on the instance (`self.send_json(...)`), so replacing the instance
attributes catches every message, including those targeted at a sid that is not connected and
those broadcast to nobody. The original coroutine is always awaited with the original
arguments, so normal clients see no difference; the mirroring part is wrapped so that nothing
it does can raise into ComfyUI's send path.
"""

import asyncio
import struct
import functools

from ._log import once

MARK = "__comfyui_telemetry_original__"


def _encode(server, event, data):
    encode = getattr(server, "encode_bytes", None)
    if encode is not None:
        return encode(event, data)
    return struct.pack(">I", event) + bytes(data)


def wrap_send(server, hub):
    """Installs the mirrors on a PromptServer instance; idempotent."""
    send_json = getattr(server, "send_json")
    send_bytes = getattr(server, "send_bytes")
    if getattr(send_json, MARK, None) is not None:
        return False

    @functools.wraps(send_json)
    async def mirrored_send_json(event, data, *args, **kwargs):
        try:
            sid = args[0] if args else kwargs.get("sid")
            hub.mirror_json(event, data, sid)
        except Exception as e:
            once("mirror-json", "could not mirror a %r message: %r", event, e)
        return await send_json(event, data, *args, **kwargs)

    @functools.wraps(send_bytes)
    async def mirrored_send_bytes(event, data, *args, **kwargs):
        try:
            if hub.subscribers:
                hub.mirror_bytes(_encode(server, event, data))
        except Exception as e:
            once("mirror-bytes", "could not mirror a binary %r frame: %r", event, e)
        return await send_bytes(event, data, *args, **kwargs)

    setattr(mirrored_send_json, MARK, send_json)
    setattr(mirrored_send_bytes, MARK, send_bytes)
    server.send_json = mirrored_send_json
    server.send_bytes = mirrored_send_bytes
    return True


def wrap_queue_put(server, on_queued, loop_of, before=None):
    """Announces each item given to `prompt_queue.put` (ComfyUI execution.py PromptQueue.put,
    called by server.py post_prompt with `(number, prompt_id, prompt, extra_data,
    outputs_to_execute[, sensitive])`). `before(item)` runs first, on the caller's thread (so
    what it learns is known before the prompt can run). A `put` that returns False (newer
    ComfyUI refusing a duplicate) or raises announces nothing. `put` may run on any thread; the
    announcement is moved to the event loop. Returns whether a queue was found and wrapped."""
    queue = getattr(server, "prompt_queue", None)
    put = getattr(queue, "put", None)
    if put is None or getattr(put, MARK, None) is not None:
        return False

    @functools.wraps(put)
    def announcing_put(item, *args, **kwargs):
        if before is not None:
            try:
                before(item)
            except Exception as e:
                once("before-put", "could not note a queued prompt: %r", e)
        result = put(item, *args, **kwargs)
        if result is False:
            return result
        try:
            _schedule(loop_of(), on_queued, item)
        except Exception as e:
            once("queued", "could not announce a queued prompt: %r", e)
        return result

    setattr(announcing_put, MARK, put)
    queue.put = announcing_put
    return True


def _schedule(loop, fn, *args):
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None and (loop is None or running is loop):
        fn(*args)
    elif loop is not None and not loop.is_closed():
        loop.call_soon_threadsafe(_guarded, fn, *args)


def _guarded(fn, *args):
    try:
        fn(*args)
    except Exception as e:
        once("guarded", "telemetry callback failed: %r", e)

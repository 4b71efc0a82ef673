"""What a `/telemetry` subscriber must not see of the messages it mirrors.

- Frames ComfyUI sends to one socket when it connects are that socket's business: the `status`
  carrying its `sid` and the `feature_flags` reply. They are not mirrored at all.
- Raw client ids: knowing one lets a reader take that client's socket over. A `client_id` or
  `sid` field (at any depth) carries the client's pseudonym (`pseudonym.py`) instead, and each
  queued prompt's client id (8 characters or more: shorter ones are not socket ids ComfyUI makes)
  is replaced by its pseudonym wherever it appears in a string.
- Credentials: ComfyUI's API nodes receive the Comfy.org token and key as hidden inputs
  (`auth_token_comfy_org`, `api_key_comfy_org`, from the prompt's `extra_data`; execution.py
  SENSITIVE_EXTRA_DATA_KEYS), and a failing node's `execution_error.current_inputs` carries them.
  Keys with those names are removed at any depth, whatever their value; the values themselves,
  whatever their length, are replaced by `[redacted]` wherever they appear in a string, a
  dictionary key included, and in binary progress text (event 3) and preview metadata (event 4).

Each prompt's values are kept while the prompt is pending, running, in the catch-up or in
ComfyUI's history, and forgotten once it has left all of them (checked against ComfyUI's queue
whenever the number of remembered prompts has reached twice (plus 64) the number found live at
the last check, so memory follows
what ComfyUI itself keeps; never evicted by count). All values and key names are matched by one
compiled matcher (`matcher.py`), rebuilt when the set changes, so the common case (nothing to
hide) costs one scan of the JSON text built for the subscribers anyway, however many values are
remembered. ComfyUI's own clients are untouched: this only shapes the mirrored copy.
"""

import json
import re
import struct
import threading

from . import protocol
from .matcher import LiteralSet
from .pseudonym import pseudonym
from ._log import once

# ComfyUI 0.3.64 execution.py SENSITIVE_EXTRA_DATA_KEYS, plus the `credential_key` of newer
# `status` frames.
BASE_KEYS = ("auth_token_comfy_org", "api_key_comfy_org", "credential_key")
ID_KEYS = ("client_id", "sid")  # fields holding a socket id: published as a pseudonym
MARK = "[redacted]"
MIN_CLIENT_ID = 8
TEXT_EVENT = 3
PREVIEW_WITH_METADATA = 4

CONNECT_TIME = frozenset({"feature_flags"})


def sensitive_keys():
    keys = set(BASE_KEYS)
    try:
        import execution  # noqa: PLC0415 - ComfyUI's own list, when it has one

        keys.update(k for k in getattr(execution, "SENSITIVE_EXTRA_DATA_KEYS", ()) if isinstance(k, str))
    except Exception:
        pass
    return frozenset(keys)


def is_connect_time(event, data, sid):
    """A frame ComfyUI sends to one socket as it connects (or answers its first frame)."""
    if event in CONNECT_TIME:
        return True
    return event == "status" and isinstance(data, dict) and "sid" in data


def _forms(value):
    """The value as it appears in a decoded string and inside JSON text (escaped)."""
    escaped = json.dumps(value)[1:-1]
    return (value,) if escaped == value else (value, escaped)


class Redactor:
    def __init__(self, keys=None, live_prompts=None):
        self.keys = frozenset(keys) if keys is not None else sensitive_keys()
        # `live_prompts()`: the prompt ids ComfyUI still holds (queue, running, history) and the
        # catch-up's, or None when unknown (then nothing is forgotten).
        self.live_prompts = live_prompts
        self._by_prompt = {}  # prompt_id -> ({value: replacement}, generation)
        self._counts = {}  # form of a value -> number of prompts holding it
        self.values = LiteralSet()
        self._key_names = re.compile("|".join(
            re.escape(json.dumps(k)) for k in sorted(self.keys | set(ID_KEYS))))
        self._generation = 0
        self._live_at_sweep = 0  # prompts found live at the last sweep
        self._lock = threading.Lock()

    # --- learning secrets -----------------------------------------------------------------

    def remember(self, item):
        """Collects the credential values and the client id of a queue item (`extra_data`, and
        the `sensitive` element newer ComfyUI appends). Safe from any thread."""
        t = protocol.queue_tuple(item)
        if t is None or len(t) < 2:
            return
        prompt_id = t[1] if isinstance(t[1], str) else repr(t[1])
        found = {}
        for part in t[3:]:
            if isinstance(part, dict):
                for key in self.keys:
                    value = part.get(key)
                    if isinstance(value, str) and value:
                        found[value] = MARK
                client_id = part.get("client_id")
                if isinstance(client_id, str) and len(client_id) >= MIN_CLIENT_ID:
                    found.setdefault(client_id, pseudonym(client_id))
        if found:
            self._add(prompt_id, found)

    def _add(self, prompt_id, found):
        with self._lock:
            self._sweep_if_grown()
            old = self._by_prompt.pop(prompt_id, None)
            if old is not None:
                self._release(old[0])
            self._by_prompt[prompt_id] = (found, self._generation)
            for value, replacement in found.items():
                for form in _forms(value):
                    n = self._counts.get(form, 0)
                    self._counts[form] = n + 1
                    if n == 0 or replacement == MARK:  # a credential beats a pseudonym
                        self.values.add(form, replacement)

    def _release(self, values):
        for value in values:
            for form in _forms(value):
                n = self._counts.get(form, 0)
                if n <= 1:
                    self._counts.pop(form, None)
                    self.values.discard(form)
                else:
                    self._counts[form] = n - 1

    def _sweep_if_grown(self):
        if len(self._by_prompt) < 2 * self._live_at_sweep + 64:
            return
        live = None
        if self.live_prompts is not None:
            try:
                live = self.live_prompts()
            except Exception as e:
                once("live-prompts", "could not read ComfyUI's queue and history: %r", e)
        if live is None:
            self._live_at_sweep = len(self._by_prompt)  # unknown: keep everything
            return
        generation = self._generation
        self._generation += 1
        dead = [p for p, (_, gen) in self._by_prompt.items()
                # Added since the last sweep: perhaps not in ComfyUI's queue yet (put runs after).
                if gen < generation and p not in live]
        for p in dead:
            self._release(self._by_prompt.pop(p)[0])
        self._live_at_sweep = sum(1 for _, gen in self._by_prompt.values() if gen < generation)

    def remembered(self):
        """How many prompts and distinct values are remembered (tests, stats)."""
        return len(self._by_prompt), len(self.values)

    # --- shaping mirrored messages ----------------------------------------------------------

    def text(self, event, data):
        """The JSON text a subscriber gets for `send_json(event, data)`: ComfyUI's own bytes
        when nothing in it is sensitive, else a redacted copy."""
        text = protocol.envelope(event, data)
        m = self.values
        if self._key_names.search(text) is None and not m.search(text):
            return text
        return protocol.envelope(m.sub(event) if isinstance(event, str) else event,
                                 self._scrub(data, m))

    def _scrub(self, value, m):
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in self.keys:
                    continue
                if k in ID_KEYS and isinstance(v, str):
                    out[k] = pseudonym(v)
                    continue
                out[m.sub(k) if isinstance(k, str) else k] = self._scrub(v, m)
            return out
        if isinstance(value, (list, tuple)):
            return [self._scrub(v, m) for v in value]
        if isinstance(value, str):
            return m.sub(value)
        return value

    def binary(self, frame):
        """A binary frame as a subscriber may get it: progress text (event 3: u32 event, u32
        node-id length, node id, UTF-8 text) and the JSON metadata of a preview (event 4: u32
        event, u32 metadata length, metadata, image) redacted like text; image bytes as they
        are. Returns the very frame when nothing changed."""
        m = self.values
        if not len(m) or len(frame) < 8:
            return frame
        try:
            event, length = struct.unpack_from(">II", frame)
            if event not in (TEXT_EVENT, PREVIEW_WITH_METADATA) or 8 + length > len(frame):
                return frame
            head = bytes(frame[8:8 + length]).decode("utf-8", "surrogateescape")
            if event == TEXT_EVENT:
                tail = bytes(frame[8 + length:]).decode("utf-8", "surrogateescape")
                new_head, new_tail = m.sub(head), m.sub(tail)
                if new_head == head and new_tail == tail:
                    return frame
                node = new_head.encode("utf-8", "surrogateescape")
                return (struct.pack(">II", event, len(node)) + node
                        + new_tail.encode("utf-8", "surrogateescape"))
            if not m.search(head):
                return frame
            meta = self.text("", json.loads(head))  # an envelope around the scrubbed metadata
            meta = json.dumps(json.loads(meta)["data"]).encode("utf-8")
            return struct.pack(">II", event, len(meta)) + meta + bytes(frame[8 + length:])
        except Exception as e:
            once("redact-binary", "could not inspect a binary frame (%r): not mirrored", e)
            return None

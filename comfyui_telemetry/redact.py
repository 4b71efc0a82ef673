"""What a `/telemetry` subscriber must not see of the messages it mirrors.

- Frames ComfyUI sends to one socket when it connects are that socket's business: the `status`
  carrying its `sid` (knowing a sid lets a reader take over that socket; newer ComfyUI adds a
  `credential_key` there) and the `feature_flags` reply. They are not mirrored at all.
- Credentials: ComfyUI's API nodes receive the Comfy.org token and key as hidden inputs
  (`auth_token_comfy_org`, `api_key_comfy_org`, from the prompt's `extra_data`; ComfyUI keeps
  them out of its history as "sensitive", execution.py SENSITIVE_EXTRA_DATA_KEYS), and a failing
  node's `execution_error.current_inputs` carries them. Keys with those names are removed at any
  depth, and the values themselves, remembered from each queued prompt, are replaced wherever
  they appear in a string (a traceback, an exception message).

ComfyUI's own clients are untouched: this only shapes the mirrored copy. The common case costs a
few substring searches over the JSON text that is built for the subscribers anyway.
"""

import json
import threading
from collections import OrderedDict

from . import protocol

# ComfyUI 0.3.64 execution.py SENSITIVE_EXTRA_DATA_KEYS, plus the `credential_key` of newer
# `status` frames and the socket id.
BASE_KEYS = ("auth_token_comfy_org", "api_key_comfy_org", "credential_key")
TOP_LEVEL_KEYS = ("sid",)
MARK = "[redacted]"
MIN_SECRET = 8  # shorter values are too likely to occur by chance; their keys still go
MAX_SECRETS = 256

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


class Redactor:
    def __init__(self, keys=None):
        self.keys = frozenset(keys) if keys is not None else sensitive_keys()
        self._key_needles = tuple(json.dumps(k) for k in self.keys) + tuple(
            json.dumps(k) for k in TOP_LEVEL_KEYS
        )
        self._secrets = OrderedDict()  # value -> its JSON-escaped form
        self._lock = threading.Lock()

    # --- learning secrets -----------------------------------------------------------------

    def remember(self, item):
        """Collects the credential values of a queue item (`extra_data`, and the `sensitive`
        element newer ComfyUI appends). Safe from any thread."""
        t = protocol.queue_tuple(item)
        if t is None:
            return
        for part in t[3:]:
            if isinstance(part, dict):
                for key in self.keys:
                    value = part.get(key)
                    if isinstance(value, str) and len(value) >= MIN_SECRET:
                        self._add_secret(value)

    def _add_secret(self, value):
        with self._lock:
            self._secrets.pop(value, None)
            self._secrets[value] = json.dumps(value)[1:-1]
            while len(self._secrets) > MAX_SECRETS:
                self._secrets.popitem(last=False)

    # --- shaping mirrored messages ----------------------------------------------------------

    def text(self, event, data):
        """The JSON text a subscriber gets for `send_json(event, data)`: ComfyUI's own bytes
        when nothing in it is sensitive, else a redacted copy."""
        text = protocol.envelope(event, data)
        secrets = list(self._secrets.items())
        if not any(n in text for n in self._key_needles) and not any(
            escaped in text for _, escaped in secrets
        ):
            return text
        values = [v for v, _ in secrets]
        clean = dict(data) if isinstance(data, dict) else data
        if isinstance(clean, dict):
            for key in TOP_LEVEL_KEYS:
                clean.pop(key, None)
        clean = self._scrub(clean, values)
        return protocol.envelope(event, clean)

    def _scrub(self, value, secrets):
        if isinstance(value, dict):
            return {
                k: self._scrub(v, secrets) for k, v in value.items() if k not in self.keys
            }
        if isinstance(value, (list, tuple)):
            return [self._scrub(v, secrets) for v in value]
        if isinstance(value, str):
            for s in secrets:
                if s in value:
                    value = value.replace(s, MARK)
            return value
        return value

"""Pseudonymous client ids: what the extension publishes instead of a prompt's raw `client_id`.

ComfyUI's own page posts its socket id as the prompt's `client_id`, and whoever knows a socket id
can open `/ws?clientId=<it>` and take that socket's messages over. So the extension never
publishes one: `pseudonym(client_id)` is `c-` and the first 16 hex digits of
HMAC-SHA256(key, client_id), the same for the same client across restarts (so the dashboard and
the server run log can group a client's runs) and useless for taking a socket over.

The key is 32 random bytes kept in `<ComfyUI base directory>/telemetry/secret.key` (created 0600,
its folder 0700), which no ComfyUI route serves: not under `user/` (`/api/userdata`), `input/`,
`output/`, `temp/` (`/view`) or `custom_nodes/` (`/extensions`). `COMFY_TELEMETRY_KEY_FILE`
names another file. When the file cannot be read or written, a key for this run only is used
(pseudonyms then change on restart) and that is logged once.
"""

import functools
import hashlib
import hmac
import os
import secrets
import threading

from ._log import once

ENV = "COMFY_TELEMETRY_KEY_FILE"
PREFIX = "c-"
DIGITS = 16
KEY_BYTES = 32

_key = None
_lock = threading.Lock()


def key_path():
    """Where the key lives: `$COMFY_TELEMETRY_KEY_FILE`, else `<base>/telemetry/secret.key` with
    ComfyUI's base directory (`folder_paths.base_path`, set by `--base-directory`); None outside
    ComfyUI."""
    env = os.environ.get(ENV)
    if env:
        return env
    try:
        import folder_paths  # noqa: PLC0415 - ComfyUI's module, present inside ComfyUI only

        base = getattr(folder_paths, "base_path", None)
    except Exception:
        base = None
    if not isinstance(base, str) or not base:
        return None
    return os.path.join(base, "telemetry", "secret.key")


def _read_or_create(path):
    try:
        with open(path, "rb") as f:
            key = f.read()
        if len(key) >= 16:
            return key
    except FileNotFoundError:
        pass
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process: use that one
        with open(path, "rb") as f:
            return f.read()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def key():
    """The HMAC key, loaded (or made) on first use."""
    global _key
    if _key is not None:
        return _key
    with _lock:
        if _key is None:
            path = key_path()
            loaded = None
            if path is not None:
                try:
                    loaded = _read_or_create(path)
                except Exception as e:
                    once("pseudonym-key", "could not keep the pseudonym key in %s (%r): client "
                         "pseudonyms change on every restart", path, e)
            _key = loaded if loaded else secrets.token_bytes(KEY_BYTES)
    return _key


def reset():
    """Forgets the loaded key (tests; a changed COMFY_TELEMETRY_KEY_FILE)."""
    global _key
    with _lock:
        _key = None
    pseudonym.cache_clear()


@functools.lru_cache(maxsize=4096)
def pseudonym(client_id) -> str:
    """`c-<16 hex>` for a raw client id (any value is taken as its `str`)."""
    digest = hmac.new(key(), str(client_id).encode("utf-8", "surrogatepass"), hashlib.sha256)
    return PREFIX + digest.hexdigest()[:DIGITS]


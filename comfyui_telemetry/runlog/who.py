"""Who queued a run, as a pseudonym: never the client id itself (knowing a live client id lets
a reader take over that client's socket).

Uses the extension's `pseudonym.pseudonym(client_id)` when the package has one, so the run log
and the stream name a client alike; else a keyed hash with a random key kept in the run log's
folder (stable across restarts, meaningless elsewhere).
"""

import hashlib
import hmac
import os
import secrets

KEY_FILE = "pseudonym.key"
_key = None


def load_key(folder):
    """Reads (or makes) the per-install key; without a folder, a per-process one."""
    global _key
    if folder is None:
        _key = _key or secrets.token_bytes(32)
        return _key
    path = os.path.join(folder, KEY_FILE)
    try:
        with open(path, "rb") as f:
            key = f.read()
        if len(key) >= 16:
            _key = key
            return key
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
    except OSError:
        pass
    _key = key
    return key


def _shared():
    try:
        from ..pseudonym import pseudonym  # noqa: PLC0415 - the security work's module, if merged

        return pseudonym
    except Exception:
        return None


def pseudonym(client_id):
    """A short stable name for `client_id`; None when the prompt had no client."""
    if not isinstance(client_id, str) or not client_id:
        return None
    shared = _shared()
    if shared is not None:
        try:
            return shared(client_id)
        except Exception:
            pass
    key = _key or load_key(None)
    return "c-" + hmac.new(key, client_id.encode("utf-8"), hashlib.sha256).hexdigest()[:10]

"""Logging that cannot flood ComfyUI's console: each distinct problem is reported once."""

import logging

logger = logging.getLogger("comfyui_telemetry")
_seen = set()


def once(key, message, *args, exc_info=False):
    """Logs a warning the first time `key` is seen; later occurrences are silent."""
    if key in _seen:
        return
    _seen.add(key)
    try:
        logger.warning("[telemetry] " + message, *args, exc_info=exc_info)
    except Exception:  # logging must never be the thing that breaks ComfyUI
        pass

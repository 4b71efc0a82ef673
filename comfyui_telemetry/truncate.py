"""A message too big for a reader's budget, cut down to what a dashboard needs to follow the run.

ComfyUI can send one `executed` of many megabytes (a node's text output: `PrimitiveString` into
`PreviewAny` with 12 MB of text). Dropped, it would leave the run without its node result; queued
whole, it would break the byte budget. So the reader gets the same message with only its small
fields (ids, numbers, timestamps, short strings), the output file names of `output` (filename,
subfolder, type: what the dashboard links to), and `"telemetry_truncated": true` with the
original size. Long strings are left out, never cut: a cut could leave part of a secret that
redaction no longer recognizes. The result is redacted like any message.
"""

MAX_STRING = 256  # characters: longer strings are left out
MAX_ITEMS = 256  # items kept of a list (file lists, cached node ids)
FILE_FIELDS = ("filename", "subfolder", "type")


def _small(value):
    if value is None or isinstance(value, (bool, int, float)):
        return True
    return isinstance(value, str) and len(value) <= MAX_STRING


def _files(items):
    out = []
    for item in items[:MAX_ITEMS]:
        if isinstance(item, dict) and isinstance(item.get("filename"), str):
            kept = {k: item[k] for k in FILE_FIELDS if k in item and _small(item[k])}
            if "filename" in kept:
                out.append(kept)
    return out


def _output(output):
    out = {}
    for key, items in list(output.items())[:MAX_ITEMS]:
        if isinstance(key, str) and len(key) <= MAX_STRING and isinstance(items, list):
            files = _files(items)
            if files:
                out[key] = files
    return out


def truncated(data, original_bytes):
    """The small part of a message's `data` (see the module doc)."""
    out = {}
    if isinstance(data, dict):
        for key, value in list(data.items())[:MAX_ITEMS]:
            if not isinstance(key, str) or len(key) > MAX_STRING:
                continue
            if key == "output" and isinstance(value, dict):
                out[key] = _output(value)
            elif _small(value):
                out[key] = value
            elif isinstance(value, list) and all(_small(v) for v in value[:MAX_ITEMS]):
                out[key] = value[:MAX_ITEMS]
    out["telemetry_truncated"] = True
    out["telemetry_original_bytes"] = int(original_bytes)
    return out

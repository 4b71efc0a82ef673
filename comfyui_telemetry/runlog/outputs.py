"""A node's UI output (`executed.output`, or `outputs[node]` in ComfyUI's history) as the page's
artifacts (core/src/protocol/output.rs): SaveImage uses `images`, video nodes `images` with
`animated: [true]` or `gifs`/`videos` with a `format`, SaveAudio `audio`, text nodes `text`. The
kind is decided from the file's extension first and the key second.
"""

import os

from .params import MAX_TEXT

IMAGE = {"png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff", "avif"}
VIDEO = {"mp4", "webm", "mov", "mkv", "avi", "m4v"}
AUDIO = {"wav", "mp3", "flac", "ogg", "m4a", "opus", "aac"}

def artifacts(node_id, output):
    """The files (and texts) of one node's UI output, like the page's `artifacts_of`."""
    found = []
    if not isinstance(output, dict):
        return found
    animated = any(v is True for v in output.get("animated") or ()) if isinstance(
        output.get("animated"), list) else False
    for key, value in output.items():
        if key == "animated" or not isinstance(value, list):
            continue
        for entry in value:
            if isinstance(entry, dict) and isinstance(entry.get("filename"), str):
                name = entry["filename"]
                ext = os.path.splitext(name)[1].lstrip(".").lower()
                kind = ("image" if ext in IMAGE else "video" if ext in VIDEO
                        else "audio" if ext in AUDIO else
                        "video" if key in ("gifs", "videos") else
                        "audio" if key == "audio" else "image" if key == "images" else "other")
                fmt = entry.get("format")
                found.append({
                    "node_id": str(node_id), "kind": kind, "filename": name,
                    "subfolder": entry.get("subfolder") if isinstance(entry.get("subfolder"), str) else "",
                    "folder_type": entry.get("type") if isinstance(entry.get("type"), str) else "output",
                    "format": fmt if isinstance(fmt, str) else None, "text": None,
                    "animated": animated and kind == "image"})
            elif key == "text" and isinstance(entry, str):
                found.append({"node_id": str(node_id), "kind": "text", "filename": "",
                              "subfolder": "", "folder_type": "", "format": None,
                              "text": entry[:MAX_TEXT], "animated": False})
    return found

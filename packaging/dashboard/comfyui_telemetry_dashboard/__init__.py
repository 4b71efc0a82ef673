"""The ComfyUI telemetry dashboard, built: a WebAssembly single-page app for `/telemetry/ui/`.

This package holds nothing but the release build (`dist/`: index.html, the js, wasm and css,
each with a brotli `.br` and a gzip `.gz` copy beside it) and says where it is. The custom node
(`comfyui_telemetry`, the Registry's `telemetry-dashboard`) depends on it and serves it; ComfyUI
does the same with its own front end (`comfyui-frontend-package`). Shipping the built page as a
wheel keeps the custom node itself pure Python.

    >>> import comfyui_telemetry_dashboard
    >>> comfyui_telemetry_dashboard.dist_path()   # the folder to serve at /telemetry/ui/
"""

import os

# Written by scripts/wheel.py when it builds the wheel; a source checkout says "unreleased".
__version__ = "unreleased"

__all__ = ["__version__", "dist_path"]


def dist_path():
    """The absolute path of the built dashboard folder (it holds `index.html`)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist")

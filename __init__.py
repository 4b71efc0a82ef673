"""ComfyUI entry point when this repository itself is the custom node.

ComfyUI-Manager's "install from git URL" clones the repository into `custom_nodes/`, and ComfyUI
then imports this file as a package: it loads the extension in `comfyui_telemetry/`, which
serves `/telemetry`, `/telemetry/metrics` and, once built (`scripts/build.sh`; the clone has no
`dist/`), the dashboard at `/telemetry/ui/`. The packaged custom node (`scripts/package.sh`)
ships the dashboard built and precompressed and is what ComfyUI users should install.

Nothing else imports this file: cargo, Trunk and the test runners never treat the repository
root as a Python package.
"""

try:
    from .comfyui_telemetry import EXTENSION, NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
except ImportError:  # imported as a top-level module, outside ComfyUI's loader: nothing to load
    EXTENSION = None
    NODE_CLASS_MAPPINGS = {}
    NODE_DISPLAY_NAME_MAPPINGS = {}

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]

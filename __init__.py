"""ComfyUI entry point when this repository itself is the custom node.

ComfyUI-Manager's "install from git URL" clones the repository into `custom_nodes/`, and ComfyUI
then imports this file as a package: it loads the extension in `comfyui_telemetry/`, which
serves `/telemetry`, `/telemetry/metrics` and the dashboard at `/telemetry/ui/`: from the wheel
`comfyui-telemetry-dashboard` that `requirements.txt` names (the clone has no built `dist/`), or
from a `dist/` built in the clone (`scripts/build.sh`).

Nothing else imports this file: cargo, Trunk and the test runners never treat the repository
root as a Python package.
"""

try:
    from .comfyui_telemetry import EXTENSION, NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
except ImportError:  # imported as a top-level module, outside ComfyUI's loader: nothing to load
    EXTENSION = None
    NODE_CLASS_MAPPINGS = {}
    NODE_DISPLAY_NAME_MAPPINGS = {}

# ComfyUI resolves it against this file's folder (the clone's root): the sidebar tab's script.
WEB_DIRECTORY = "./comfyui_telemetry/web"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]

"""ComfyUI telemetry: a read-only `/telemetry` WebSocket mirroring every message ComfyUI sends,
plus the dashboard at `/telemetry/ui/`. Adds no nodes.

Install by copying or symlinking this folder into ComfyUI's `custom_nodes/`. Nothing here may
break ComfyUI's startup: any failure is logged and the extension stays off.
"""

import logging

NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}
# ComfyUI serves this folder at /extensions/<node folder>/ and its front end loads every .js in
# it: web/telemetry.js adds the "Telemetry" sidebar tab and a View-menu command.
WEB_DIRECTORY = "./web"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]


def _install_on_comfyui():
    try:
        import server  # ComfyUI's server.py; PromptServer.instance exists before custom nodes load

        instance = getattr(server.PromptServer, "instance", None)
        if instance is None:
            logging.warning("[telemetry] no PromptServer.instance: /telemetry not installed")
            return None
        from .extension import install

        ext = install(instance)
        logging.info("[telemetry] /telemetry WebSocket and /telemetry/ui/ installed")
        return ext
    except Exception:
        logging.exception("[telemetry] could not install; ComfyUI continues without it")
        return None


EXTENSION = _install_on_comfyui()

"""Model-free test nodes for the real-ComfyUI integration tests (copied into custom_nodes/).

Each node exercises one execution behaviour that our fakes never produced: progress with
previews, an error with HTML in its message, concurrent async nodes, node expansion into a
subgraph (ids like ``5.0.0.1``), loops and async expansions (``flow.py``), execution blockers,
and a hidden credential input. They take and
return IMAGE tensors so they chain with stock nodes (EmptyImage, SaveImage, PreviewImage).
"""

import asyncio
import time

import comfy.utils
from comfy_execution.graph_utils import ExecutionBlocker, GraphBuilder

from .flow import NODE_CLASS_MAPPINGS as FLOW_NODES

IMAGE = ("IMAGE",)


def _preview_image(step):
    """A tiny PIL image for the preview tuple, different per step so frames differ."""
    from PIL import Image

    return Image.new("RGB", (32, 24), ((step * 40) % 256, 90, 160))


class TelemetrySleep:
    """Sleeps `steps` times and reports each step through ProgressBar (optionally with a JPEG preview)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "steps": ("INT", {"default": 4, "min": 1, "max": 10000}),
                "step_seconds": ("FLOAT", {"default": 0.1, "min": 0.0, "max": 60.0, "step": 0.01}),
                "preview": ("BOOLEAN", {"default": False}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 2**31}),
            }
        }

    RETURN_TYPES = IMAGE
    FUNCTION = "run"
    CATEGORY = "telemetry_test"

    def run(self, image, steps, step_seconds, preview, seed):
        bar = comfy.utils.ProgressBar(steps)
        for i in range(steps):
            time.sleep(step_seconds)
            if preview:
                bar.update_absolute(i + 1, steps, ("JPEG", _preview_image(i), 64))
            else:
                bar.update_absolute(i + 1, steps)
        return (image,)


class TelemetryFail:
    """Raises RuntimeError(message): the error path, with whatever (HTML) text the test chose."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "message": ("STRING", {"default": "boom"}),
            }
        }

    RETURN_TYPES = IMAGE
    FUNCTION = "run"
    CATEGORY = "telemetry_test"

    def run(self, image, message):
        raise RuntimeError(message)


class TelemetryAsyncSleep:
    """An `async def` node: ComfyUI runs several of these concurrently."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "seconds": ("FLOAT", {"default": 0.5, "min": 0.0, "max": 60.0, "step": 0.01}),
                "steps": ("INT", {"default": 5, "min": 1, "max": 1000}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 2**31}),
            },
            # Optional so that prompts without it still validate: raise this after the sleep.
            "optional": {"fail": ("STRING", {"default": ""})},
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = IMAGE
    FUNCTION = "run"
    CATEGORY = "telemetry_test"

    async def run(self, image, seconds, steps, seed, fail="", unique_id=None):
        bar = comfy.utils.ProgressBar(steps, node_id=unique_id)
        for i in range(steps):
            await asyncio.sleep(seconds / steps)
            bar.update_absolute(i + 1, steps)
        if fail:
            raise RuntimeError(fail)
        return (image,)


class TelemetryExpand:
    """Expands into a chain of `count` TelemetrySleep nodes (ids like `<me>.0.0.1`)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "count": ("INT", {"default": 3, "min": 1, "max": 100}),
                "steps": ("INT", {"default": 2, "min": 1, "max": 100}),
                "step_seconds": ("FLOAT", {"default": 0.05, "min": 0.0, "max": 10.0, "step": 0.01}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 2**31}),
            }
        }

    RETURN_TYPES = IMAGE
    FUNCTION = "run"
    CATEGORY = "telemetry_test"

    def run(self, image, count, steps, step_seconds, seed):
        graph = GraphBuilder()
        current = image
        for _ in range(count):
            node = graph.node(
                "TelemetrySleep", image=current, steps=steps, step_seconds=step_seconds, preview=False, seed=seed
            )
            current = node.out(0)
        return {"result": (current,), "expand": graph.finalize()}


class TelemetryBlock:
    """Returns an ExecutionBlocker when `block` is set: its users (e.g. SaveImage) never run."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "block": ("BOOLEAN", {"default": True}),
                "message": ("STRING", {"default": ""}),
            }
        }

    RETURN_TYPES = IMAGE
    FUNCTION = "run"
    CATEGORY = "telemetry_test"

    def run(self, image, block, message):
        if block:
            return (ExecutionBlocker(message or None),)
        return (image,)


class TelemetryCredentialFail:
    """Takes the hidden Comfy.org credentials (as ComfyUI's API nodes do) and fails, so the
    error's `current_inputs` carry them: the extension must not mirror them."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"image": ("IMAGE",)},
            "hidden": {"auth_token_comfy_org": "AUTH_TOKEN_COMFY_ORG", "api_key_comfy_org": "API_KEY_COMFY_ORG"},
        }

    RETURN_TYPES = IMAGE
    FUNCTION = "run"
    CATEGORY = "telemetry_test"

    def run(self, image, auth_token_comfy_org=None, api_key_comfy_org=None):
        raise RuntimeError("credential node failed on purpose")


class TelemetryCredentialEcho:
    """Takes the hidden Comfy.org credentials and leaks them every way a node can: in progress
    text (binary event 3, `send_progress_text`) and as a dictionary key of its UI output."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"image": ("IMAGE",)},
            "hidden": {"auth_token_comfy_org": "AUTH_TOKEN_COMFY_ORG", "api_key_comfy_org": "API_KEY_COMFY_ORG",
                       "unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = IMAGE
    FUNCTION = "run"
    OUTPUT_NODE = True
    CATEGORY = "telemetry_test"

    def run(self, image, auth_token_comfy_org=None, api_key_comfy_org=None, unique_id=None):
        from server import PromptServer

        PromptServer.instance.send_progress_text(
            f"calling the API with {auth_token_comfy_org} and {api_key_comfy_org}", unique_id)
        return {"ui": {"echo": [{str(auth_token_comfy_org): "token", str(api_key_comfy_org): "key"}]},
                "result": (image,)}


NODE_CLASS_MAPPINGS = {
    "TelemetrySleep": TelemetrySleep,
    "TelemetryFail": TelemetryFail,
    "TelemetryAsyncSleep": TelemetryAsyncSleep,
    "TelemetryExpand": TelemetryExpand,
    "TelemetryBlock": TelemetryBlock,
    "TelemetryCredentialFail": TelemetryCredentialFail,
    "TelemetryCredentialEcho": TelemetryCredentialEcho,
    **FLOW_NODES,
}
NODE_DISPLAY_NAME_MAPPINGS = {k: k for k in NODE_CLASS_MAPPINGS}

"""Flow-control test nodes in the manner of ComfyUI's own execution tests (written here, not copied):
a for-loop that runs by expanding itself once per iteration, as ComfyUI's loop nodes do, and a node
that expands into concurrent async nodes. Both produce the nested subgraph ids (`4.0.0.2.0.0.2`)
that a dashboard must attribute to the prompt node that owns them.
"""

from comfy_execution.graph_utils import GraphBuilder


class TelemetryForLoop:
    """Runs one TelemetrySleep, then expands into itself with `remaining - 1`: each iteration is a
    new expansion inside the previous one. `remaining` 0 returns the image unchanged."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "remaining": ("INT", {"default": 3, "min": 0, "max": 100}),
                "step_seconds": ("FLOAT", {"default": 0.02, "min": 0.0, "max": 10.0, "step": 0.01}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 2**31}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
    CATEGORY = "telemetry_test"

    def run(self, image, remaining, step_seconds, seed):
        if remaining <= 0:
            return (image,)
        graph = GraphBuilder()
        body = graph.node(
            "TelemetrySleep", image=image, steps=1, step_seconds=step_seconds, preview=False, seed=seed + remaining
        )
        again = graph.node(
            "TelemetryForLoop", image=body.out(0), remaining=remaining - 1, step_seconds=step_seconds, seed=seed
        )
        return {"result": (again.out(0),), "expand": graph.finalize()}


class TelemetryAsyncExpand:
    """Expands into `count` TelemetryAsyncSleep nodes that run concurrently, joined by ImageBatch
    (ids like `<me>.0.0.1`); `fail` makes the last of them raise after its sleep."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "count": ("INT", {"default": 3, "min": 1, "max": 20}),
                "seconds": ("FLOAT", {"default": 0.3, "min": 0.0, "max": 60.0, "step": 0.01}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 2**31}),
                "fail": ("STRING", {"default": ""}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
    CATEGORY = "telemetry_test"

    def run(self, image, count, seconds, seed, fail):
        graph = GraphBuilder()
        joined = None
        for i in range(count):
            last = i == count - 1
            sleep = graph.node(
                "TelemetryAsyncSleep", image=image, seconds=seconds, steps=3, seed=seed + i, fail=fail if last else ""
            )
            joined = sleep if joined is None else graph.node("ImageBatch", image1=joined.out(0), image2=sleep.out(0))
        return {"result": (joined.out(0),), "expand": graph.finalize()}


NODE_CLASS_MAPPINGS = {"TelemetryForLoop": TelemetryForLoop, "TelemetryAsyncExpand": TelemetryAsyncExpand}

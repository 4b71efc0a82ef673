"""API-format prompts for the integration tests, built from stock nodes and our test nodes.

Each builder returns a fresh prompt dict; `seed` defeats ComfyUI's cache where a test needs a real
run, and the same seed twice gives a cached re-run. The expected counts beside each builder are
what ComfyUI's own history reports for it (the tests check the dashboard against the history, not
against these numbers).
"""

import itertools

_seeds = itertools.count(1000)


def fresh_seed() -> int:
    return next(_seeds)


def _empty(w=32, h=24, color=0):
    return {"class_type": "EmptyImage", "inputs": {"width": w, "height": h, "batch_size": 1, "color": color}}


def _save(src, prefix="telemetry_test"):
    return {"class_type": "SaveImage", "inputs": {"images": [src, 0], "filename_prefix": prefix}}


def _sleep(src, steps=4, step_seconds=0.1, preview=False, seed=0):
    return {
        "class_type": "TelemetrySleep",
        "inputs": {"image": [src, 0], "steps": steps, "step_seconds": step_seconds, "preview": preview, "seed": seed},
    }


def success(seed=None, steps=4, step_seconds=0.1, preview=False):
    """EmptyImage -> TelemetrySleep -> SaveImage: 3 nodes, one image output."""
    seed = fresh_seed() if seed is None else seed
    return {"1": _empty(), "2": _sleep("1", steps, step_seconds, preview, seed), "3": _save("2")}


def partial_cache(seed):
    """The same EmptyImage as `success` (cached) with a new sleep seed: 1 cached, 2 run."""
    return success(seed=seed)


def error(message="<b>boom</b> <script>alert(1)</script>", seed=None):
    """EmptyImage -> TelemetrySleep -> TelemetryFail -> SaveImage: fails at node 3."""
    seed = fresh_seed() if seed is None else seed
    return {
        "1": _empty(),
        "2": _sleep("1", 2, 0.05, False, seed),
        "3": {"class_type": "TelemetryFail", "inputs": {"image": ["2", 0], "message": message}},
        "4": _save("3"),
    }


def long_running(steps=200, step_seconds=0.1, seed=None, preview=False):
    """A prompt that runs long enough to interrupt, reload or restart during it."""
    return success(seed=seed, steps=steps, step_seconds=step_seconds, preview=preview)


def invalid():
    """Fails validation (HTTP 400, no run): SaveImage without its images input."""
    return {"1": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}}}


def parallel_async(branches=3, seconds=1.0, seed=None):
    """One EmptyImage feeding `branches` async sleeps, each to its own PreviewImage: the async nodes
    run concurrently. Nodes: 1 + 2 * branches."""
    seed = fresh_seed() if seed is None else seed
    prompt = {"1": _empty()}
    for b in range(branches):
        a, p = str(10 + b), str(20 + b)
        prompt[a] = {
            "class_type": "TelemetryAsyncSleep",
            "inputs": {"image": ["1", 0], "seconds": seconds, "steps": 5, "seed": seed + b},
        }
        prompt[p] = {"class_type": "PreviewImage", "inputs": {"images": [a, 0]}}
    return prompt


def expansion(count=3, seed=None):
    """EmptyImage -> TelemetryExpand (expands into `count` TelemetrySleep nodes `2.0.0.N`) ->
    SaveImage: 3 prompt nodes."""
    seed = fresh_seed() if seed is None else seed
    return {
        "1": _empty(),
        "2": {
            "class_type": "TelemetryExpand",
            "inputs": {"image": ["1", 0], "count": count, "steps": 2, "step_seconds": 0.05, "seed": seed},
        },
        "3": _save("2"),
    }


def blocked(message="", seed=None):
    """EmptyImage -> TelemetrySleep -> TelemetryBlock -> SaveImage (never runs), plus an unblocked
    PreviewImage branch: ComfyUI's history says success."""
    seed = fresh_seed() if seed is None else seed
    return {
        "1": _empty(),
        "2": _sleep("1", 2, 0.05, False, seed),
        "3": {"class_type": "TelemetryBlock", "inputs": {"image": ["2", 0], "block": True, "message": message}},
        "4": _save("3"),
        "5": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
    }


def credential_error(seed=None):
    """A node with the hidden Comfy.org credential inputs that fails: the error's current_inputs
    then carry the credential passed in extra_data."""
    seed = fresh_seed() if seed is None else seed
    return {
        "1": _empty(color=seed % 255),
        "2": {"class_type": "TelemetryCredentialFail", "inputs": {"image": ["1", 0]}},
        "3": _save("2"),
    }


def credential_echo_error(seed=None):
    """Credentials sent back in progress text and as an output key (TelemetryCredentialEcho),
    then in a failing node's inputs (TelemetryCredentialFail)."""
    seed = fresh_seed() if seed is None else seed
    return {
        "1": _empty(color=seed % 255),
        "2": {"class_type": "TelemetryCredentialEcho", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "TelemetryCredentialFail", "inputs": {"image": ["2", 0]}},
        "4": _save("3"),
    }


def big_text(size):
    """PrimitiveString -> PreviewAny: one `executed` carrying `size` characters of text."""
    return {
        "1": {"class_type": "PrimitiveString", "inputs": {"value": "z" * size}},
        "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
    }

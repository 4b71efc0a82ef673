"""`telemetry.gpu`: one device sample about once a second while anyone is subscribed.

Every source is optional and probed once: torch.cuda (+ pynvml for utilisation and
temperature), else ComfyUI's comfy.model_management helpers (the ones /system_stats uses, which
cover non-CUDA backends), else the CPU with psutil's RAM figures. Unknown values are None.
Sampling runs in the default executor so a slow driver call never blocks ComfyUI's event loop.
"""

import asyncio

from . import protocol
from .framequeue import NOISE
from ._log import once

FIELDS = (
    "timestamp",
    "device",
    "name",
    "cpu_only",
    "vram_total",
    "vram_free",
    "torch_vram_reserved",
    "torch_vram_allocated",
    "utilization",
    "temperature",
)


def _int_or_none(v):
    try:
        return None if v is None else int(v)
    except Exception:
        return None


def _num_or_none(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return v


def normalize(sample):
    """Fills a sampler's dict up to the protocol shape (missing -> None, never -1)."""
    out = dict(sample) if isinstance(sample, dict) else {}
    for key in FIELDS:
        out.setdefault(key, None)
    if out["timestamp"] is None:
        out["timestamp"] = protocol.now_ms()
    out["device"] = str(out["device"]) if out["device"] is not None else "cpu"
    out["name"] = str(out["name"]) if out["name"] is not None else out["device"]
    out["cpu_only"] = bool(out["cpu_only"])
    for key in ("vram_total", "vram_free", "torch_vram_reserved", "torch_vram_allocated"):
        out[key] = _int_or_none(out[key])
        if out[key] is not None and out[key] < 0:
            out[key] = None
    for key in ("utilization", "temperature"):
        out[key] = _num_or_none(out[key])
        if out[key] is not None and out[key] < 0:
            out[key] = None
    return out


def cpu_requested():
    """Whether ComfyUI was started with `--cpu` (comfy.cli_args.args.cpu, or
    comfy.model_management's CPU state, whichever is importable)."""
    try:
        from comfy.cli_args import args  # noqa: PLC0415

        if getattr(args, "cpu", False) is True:
            return True
    except Exception:
        pass
    try:
        import sys  # noqa: PLC0415

        mm = sys.modules.get("comfy.model_management")  # only if ComfyUI already loaded it
        state = getattr(mm, "cpu_state", None)
        return state is not None and getattr(state, "name", None) == "CPU"
    except Exception:
        return False


class DefaultSampler:
    """Callable returning one sample dict; picks its source on first use."""

    def __init__(self):
        self._source = None
        self._nvml = None
        self._nvml_handle = None

    def __call__(self):
        if self._source is None:
            self._source = self._probe()
        try:
            sample = self._source()
        except Exception as e:
            once("gpu-sample", "GPU sampling failed, falling back to CPU: %r", e)
            self._source = self._cpu
            sample = self._cpu()
        return normalize(sample)

    # --- source selection --------------------------------------------------------------

    def _probe(self):
        if cpu_requested():
            # `--cpu`: never touch torch.cuda or NVML (either may initialise a CUDA context,
            # costing VRAM and startup time on a machine told not to use the GPU).
            return self._cpu
        try:
            import torch  # noqa: PLC0415

            if torch.cuda.is_available():
                self._torch = torch
                return self._cuda
        except Exception:
            pass
        try:
            import comfy.model_management as mm  # noqa: PLC0415

            self._mm = mm
            device = mm.get_torch_device()
            if getattr(device, "type", str(device)) != "cpu":
                return self._comfy
        except Exception:
            pass
        return self._cpu

    # --- torch.cuda ----------------------------------------------------------------------

    def _cuda(self):
        torch = self._torch
        index = torch.cuda.current_device()
        free, total = torch.cuda.mem_get_info(index)
        utilization, temperature = self._nvml_readings(index)
        return {
            "timestamp": protocol.now_ms(),
            "device": f"cuda:{index}",
            "name": torch.cuda.get_device_name(index),
            "cpu_only": False,
            "vram_total": total,
            "vram_free": free,
            "torch_vram_reserved": torch.cuda.memory_reserved(index),
            "torch_vram_allocated": torch.cuda.memory_allocated(index),
            "utilization": utilization,
            "temperature": temperature,
        }

    def _nvml_readings(self, index):
        if self._nvml is False:
            return None, None
        try:
            if self._nvml is None:
                import pynvml  # noqa: PLC0415

                pynvml.nvmlInit()
                self._nvml = pynvml
                handle = None
                try:  # torch's index is relative to CUDA_VISIBLE_DEVICES; the PCI id is not
                    bus = self._torch.cuda.get_device_properties(index).pci_bus_id
                    handle = pynvml.nvmlDeviceGetHandleByPciBusId(bus)
                except Exception:
                    handle = pynvml.nvmlDeviceGetHandleByIndex(index)
                self._nvml_handle = handle
            nv, h = self._nvml, self._nvml_handle
            util = nv.nvmlDeviceGetUtilizationRates(h).gpu
            temp = nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU)
            return util, temp
        except Exception:
            self._nvml = False
            return None, None

    # --- comfy.model_management (any non-CPU torch device ComfyUI runs on) -------------------

    def _comfy(self):
        mm = self._mm
        device = mm.get_torch_device()
        kind = getattr(device, "type", str(device))
        index = getattr(device, "index", None)
        total, torch_total = mm.get_total_memory(device, torch_total_too=True)
        free, torch_free = mm.get_free_memory(device, torch_free_too=True)
        return {
            "timestamp": protocol.now_ms(),
            "device": f"{kind}:{index}" if index is not None else kind,
            "name": mm.get_torch_device_name(device),
            "cpu_only": False,
            "vram_total": total,
            "vram_free": free,
            "torch_vram_reserved": torch_total,
            "torch_vram_allocated": (torch_total - torch_free)
            if torch_total is not None and torch_free is not None
            else None,
            "utilization": None,
            "temperature": None,
        }

    # --- CPU --------------------------------------------------------------------------

    def _cpu(self):
        return cpu_sample()


def cpu_sample():
    """The CPU as ComfyUI's /system_stats shows it on --cpu: name "cpu", RAM as the memory."""
    total = free = cpu_percent = None
    try:
        import psutil  # noqa: PLC0415

        vm = psutil.virtual_memory()
        total, free = vm.total, vm.available
        cpu_percent = psutil.cpu_percent(interval=None)
    except Exception:
        pass
    return {
        "timestamp": protocol.now_ms(),
        "device": "cpu",
        "name": "cpu",
        "cpu_only": True,
        "vram_total": total,
        "vram_free": free,
        "torch_vram_reserved": None,
        "torch_vram_allocated": None,
        "utilization": None,
        "temperature": None,
        # Added field (protocol v1 allows additions): host CPU load, percent.
        "cpu_utilization": cpu_percent,
    }


class GpuLoop:
    """Samples while the hub has subscribers; started by the first, ends after the last."""

    def __init__(self, hub, sampler=None, interval=1.0):
        self.hub = hub
        self.sampler = sampler or DefaultSampler()
        self.interval = max(0.05, float(interval))
        self.task = None

    def start(self):
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def stop(self):
        # The loop ends by itself when no one is subscribed; cancel to stop at once.
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = None

    async def _run(self):
        loop = asyncio.get_running_loop()
        while self.hub.subscribers:
            started = loop.time()
            try:
                sample = await loop.run_in_executor(None, self.sampler)
                if self.hub.subscribers:
                    self.hub.broadcast(
                        protocol.envelope("telemetry.gpu", normalize(sample)), NOISE
                    )
            except asyncio.CancelledError:
                raise
            except Exception as e:
                once("gpu-loop", "GPU sample failed: %r", e)
            await asyncio.sleep(max(0.0, self.interval - (loop.time() - started)))

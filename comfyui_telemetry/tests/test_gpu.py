"""telemetry.gpu: about once a second while subscribed, from whatever the machine offers."""

import asyncio
import json
import sys
import types

from comfyui_telemetry import gpu
from conftest import hello_of, receive

FIELDS = {"timestamp", "device", "name", "cpu_only", "vram_total", "vram_free",
          "torch_vram_reserved", "torch_vram_allocated", "utilization", "temperature"}


async def test_samples_arrive_about_once_a_second_while_subscribed(make_comfy):
    calls = []

    def sampler():
        calls.append(1)
        return {"device": "cuda:0", "name": "Fake GPU", "cpu_only": False,
                "vram_total": 8 << 30, "vram_free": 6 << 30, "torch_vram_reserved": 1 << 30,
                "torch_vram_allocated": 512 << 20, "utilization": 42.0, "temperature": 61}

    comfy = await make_comfy(sampler=sampler, gpu_interval=1.0)
    await asyncio.sleep(0.3)
    assert calls == [], "no sampling without subscribers"
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    loop = asyncio.get_running_loop()
    samples, times = [], []
    while len(samples) < 3:
        frame = await receive(tele, timeout=2.0, gpu=True)
        msg = json.loads(frame)
        if msg["type"] == "telemetry.gpu":
            samples.append(msg["data"])
            times.append(loop.time())
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(0.8 < g < 1.3 for g in gaps), gaps
    s = samples[0]
    assert set(s) == FIELDS
    assert s["device"] == "cuda:0" and s["cpu_only"] is False and s["utilization"] == 42.0
    assert abs(s["timestamp"] - samples[1]["timestamp"]) in range(700, 1400)
    await tele.close()
    await asyncio.sleep(0.1)
    assert comfy.ext.gpu.task is None
    n = len(calls)
    await asyncio.sleep(1.2)
    assert len(calls) == n, "sampling stops after the last subscriber"


async def test_a_failing_sampler_only_skips_samples(make_comfy):
    def sampler():
        raise RuntimeError("driver gone")

    comfy = await make_comfy(sampler=sampler, gpu_interval=0.05)
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    await asyncio.sleep(0.2)
    await comfy.server.send_json("progress", {"value": 1, "prompt_id": "p"}, None)
    assert json.loads(await receive(tele, gpu=True))["type"] == "progress"


def test_cpu_fallback_says_cpu_only(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import fails
    monkeypatch.setitem(sys.modules, "comfy", None)
    s = gpu.DefaultSampler()()
    assert FIELDS <= set(s)
    assert s["device"] == "cpu" and s["cpu_only"] is True
    assert s["torch_vram_reserved"] is None and s["utilization"] is None
    assert s["temperature"] is None
    # RAM from psutil when it is installed, else null; never -1.
    assert s["vram_total"] is None or s["vram_total"] > 0


def test_cpu_fallback_uses_psutil_ram(monkeypatch):
    fake = types.SimpleNamespace(
        virtual_memory=lambda: types.SimpleNamespace(total=16 << 30, available=10 << 30),
        cpu_percent=lambda interval=None: 12.5)
    monkeypatch.setitem(sys.modules, "psutil", fake)
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "comfy", None)
    s = gpu.DefaultSampler()()
    assert (s["vram_total"], s["vram_free"], s["cpu_utilization"]) == (16 << 30, 10 << 30, 12.5)


def _fake_torch(available=True):
    cuda = types.SimpleNamespace(
        is_available=lambda: available,
        current_device=lambda: 0,
        mem_get_info=lambda i: (3 << 30, 8 << 30),
        get_device_name=lambda i: "NVIDIA Fake 3080",
        memory_reserved=lambda i: 2 << 30,
        memory_allocated=lambda i: 1 << 30,
        get_device_properties=lambda i: types.SimpleNamespace(pci_bus_id="0000:01:00.0"),
    )
    return types.SimpleNamespace(cuda=cuda)


def test_cuda_with_pynvml(monkeypatch):
    nvml = types.SimpleNamespace(
        nvmlInit=lambda: None,
        nvmlDeviceGetHandleByPciBusId=lambda bus: ("h", bus),
        nvmlDeviceGetUtilizationRates=lambda h: types.SimpleNamespace(gpu=77, memory=10),
        nvmlDeviceGetTemperature=lambda h, kind: 65,
        NVML_TEMPERATURE_GPU=0,
    )
    monkeypatch.setitem(sys.modules, "torch", _fake_torch())
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    s = gpu.DefaultSampler()()
    assert s["device"] == "cuda:0" and s["name"] == "NVIDIA Fake 3080"
    assert s["cpu_only"] is False
    assert (s["vram_total"], s["vram_free"]) == (8 << 30, 3 << 30)
    assert (s["torch_vram_reserved"], s["torch_vram_allocated"]) == (2 << 30, 1 << 30)
    assert (s["utilization"], s["temperature"]) == (77, 65)


def test_cuda_without_pynvml_has_null_utilisation(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", _fake_torch())
    monkeypatch.setitem(sys.modules, "pynvml", None)
    s = gpu.DefaultSampler()()
    assert s["device"] == "cuda:0" and s["utilization"] is None and s["temperature"] is None


def test_comfy_model_management_for_other_devices(monkeypatch):
    dev = types.SimpleNamespace(type="mps", index=None)
    mm = types.SimpleNamespace(
        get_torch_device=lambda: dev,
        get_total_memory=lambda d, torch_total_too=False: (32 << 30, 4 << 30),
        get_free_memory=lambda d, torch_free_too=False: (20 << 30, 1 << 30),
        get_torch_device_name=lambda d: "mps",
    )
    comfy_pkg = types.ModuleType("comfy")
    comfy_pkg.model_management = mm
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(available=False))
    monkeypatch.setitem(sys.modules, "comfy", comfy_pkg)
    monkeypatch.setitem(sys.modules, "comfy.model_management", mm)
    s = gpu.DefaultSampler()()
    assert (s["device"], s["cpu_only"], s["vram_total"]) == ("mps", False, 32 << 30)
    assert (s["torch_vram_reserved"], s["torch_vram_allocated"]) == (4 << 30, 3 << 30)


def test_normalize_turns_minus_one_into_null():
    s = gpu.normalize({"vram_total": -1, "utilization": -1, "temperature": "hot"})
    assert s["vram_total"] is None and s["utilization"] is None and s["temperature"] is None
    assert s["device"] == "cpu" and isinstance(s["timestamp"], int)


def test_under_cpu_flag_cuda_is_never_touched(monkeypatch):
    import sys
    import types

    from comfyui_telemetry import gpu

    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError(f"torch.cuda.{name} touched under --cpu")

    torch = types.ModuleType("torch")
    torch.cuda = Untouchable()
    cli_args = types.ModuleType("comfy.cli_args")
    cli_args.args = types.SimpleNamespace(cpu=True)
    comfy_pkg = types.ModuleType("comfy")
    comfy_pkg.cli_args = cli_args
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "comfy", comfy_pkg)
    monkeypatch.setitem(sys.modules, "comfy.cli_args", cli_args)
    monkeypatch.setitem(sys.modules, "pynvml", Untouchable())
    sample = gpu.DefaultSampler()()
    assert sample["device"] == "cpu" and sample["cpu_only"] is True

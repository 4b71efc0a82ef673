"""A run over time, as the page's run chart draws it: node progress, step rate and memory,
sampled about once a second by the writer thread. The same shape and thinning as the page's
`RunSeries` (core/src/history/series.rs), so a run the page never watched live still has its
chart: bounded at MAX_SAMPLES points however long the run (past it, every other point goes and
the interval doubles), the memory peak kept apart so thinning never loses it. Pure.
"""

MAX_SAMPLES = 240
MIN_INTERVAL_MS = 200.0
MB = 1024.0 * 1024.0


def progress(run):
    """Whole-run progress 0–1 like the page's `Run::progress`, or None without a node count."""
    if run.status == "succeeded":
        return 1.0
    prompt = [n for n in run.nodes.values() if n["in_prompt"]]
    total = len(prompt)
    if not total:
        return None
    done = min(sum(1 for n in prompt if n["status"] in ("finished", "cached")), total)
    current = run.nodes.get(run.current_node) if run.current_node else None
    if current and current["status"] not in ("finished", "cached"):
        value, mx = current["value"], current["max"]
        if value is not None and mx:
            done += max(0.0, min(1.0, value / mx))
    return max(0.0, min(1.0, done / total))


class Series:
    def __init__(self, prompt_id, start_ms):
        self.prompt_id = prompt_id
        self.start_ms = start_ms
        self.samples = []
        self.memory = "vram"
        self.mem_total_mb = None
        self.peak_mb = None
        self.peak_t_ms = None
        self.interval_ms = MIN_INTERVAL_MS

    def record(self, run, sample, now_ms):
        """One point from the run's state and a device sample (gpu.py shape, or None)."""
        mem_mb = None
        if isinstance(sample, dict):
            self.memory = "ram" if sample.get("cpu_only") else "vram"
            total, free = sample.get("vram_total"), sample.get("vram_free")
            if isinstance(total, (int, float)):
                self.mem_total_mb = total / MB
                if isinstance(free, (int, float)):
                    mem_mb = (total - free) / MB
        prompt = [n for n in run.nodes.values() if n["in_prompt"]]
        total_nodes = len(prompt) or None
        done = sum(1 for n in (prompt or run.nodes.values()) if n["status"] in ("finished", "cached"))
        current = run.nodes.get(run.current_node) if run.current_node else None
        step = steps = rate = None
        if current is not None and current["value"] is not None and current["max"] is not None:
            step, steps = current["value"], current["max"]
            started = current["started_ms"]
            if started is not None and step > 0 and (now_ms - started) / 1000.0 >= 0.5:
                rate = step / ((now_ms - started) / 1000.0)
        self.push({"t_ms": max(0.0, float(now_ms - self.start_ms)),
                   "nodes_done": min(done, total_nodes) if total_nodes else done,
                   "nodes_total": total_nodes, "step": step, "steps": steps, "step_rate": rate,
                   "mem_mb": mem_mb, "progress": progress(run)})

    def push(self, sample):
        mb = sample["mem_mb"]
        if mb is not None and (self.peak_mb is None or mb > self.peak_mb):
            self.peak_mb, self.peak_t_ms = mb, sample["t_ms"]
        s = self.samples
        if len(s) >= 2 and sample["t_ms"] - s[-2]["t_ms"] < self.interval_ms:
            s[-1] = sample
            return
        s.append(sample)
        if len(s) > MAX_SAMPLES:
            last = s[-1]
            self.samples = s[::2]
            if self.samples[-1] is not last:
                self.samples.append(last)
            self.interval_ms *= 2.0

    def json(self):
        return {"prompt_id": self.prompt_id, "start_ms": self.start_ms, "samples": self.samples,
                "memory": self.memory, "mem_total_mb": self.mem_total_mb,
                "peak_mb": self.peak_mb, "peak_t_ms": self.peak_t_ms,
                "interval_ms": self.interval_ms}


def from_json(data):
    if not isinstance(data, dict) or not isinstance(data.get("prompt_id"), str):
        return None
    s = Series(data["prompt_id"], data.get("start_ms") or 0)
    s.samples = [x for x in data.get("samples") or () if isinstance(x, dict)]
    for key in ("memory", "mem_total_mb", "peak_mb", "peak_t_ms", "interval_ms"):
        if key in data:
            setattr(s, key, data[key])
    return s

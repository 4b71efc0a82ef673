"""Prometheus text exposition (format 0.0.4) of `metrics.Metrics.families()`.

`prometheus_client` formats it when ComfyUI's environment has it (a private
`CollectorRegistry`, never the process-wide one, so other custom nodes' metrics and ours never
mix). ComfyUI does not ship it, so without it the same text is written here; the tests check
that both give the same bytes.
"""

from collections import namedtuple

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# samples: [(suffix, labels, value)]; a sample's name is the family name plus its suffix.
Family = namedtuple("Family", "name type help samples")

try:  # noqa: SIM105 - optional dependency
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import Metric
except Exception:  # not installed, or broken: the hand-written exposition below
    CollectorRegistry = generate_latest = Metric = None


class Histogram:
    """Fixed buckets; counts per bucket (not cumulative), their sum and count. With no bounds,
    only the sum and the count (exposed as a summary without quantiles)."""

    def __init__(self, bounds):
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value):
        value = max(0.0, float(value))
        self.sum += value
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[i] += 1
                return
        self.counts[-1] += 1

    def cumulative(self):
        """[(le, cumulative count)] ending with +Inf, and the total count."""
        out, total = [], 0
        for bound, count in zip(self.bounds + (float("inf"),), self.counts):
            total += count
            out.append((bound, total))
        return out, total


def formatter():
    """Which exposition `render` uses: "prometheus_client" or "builtin"."""
    return "prometheus_client" if generate_latest is not None else "builtin"


def histogram(name, doc, series):
    """A histogram family from [(labels, Histogram)]."""
    samples = []
    for labels, h in series:
        buckets, count = h.cumulative()
        for bound, cumulative in buckets:
            samples.append(("_bucket", {**labels, "le": go_float(bound)}, cumulative))
        samples.append(("_count", labels, count))
        samples.append(("_sum", labels, h.sum))
    return Family(name, "histogram", doc, samples)


def summary(name, doc, series):
    """A summary family without quantiles (only `_count` and `_sum`) from
    [(labels, Histogram)]: the same sample names as a histogram's, so queries on
    `_sum` and `_count` read either."""
    samples = []
    for labels, h in series:
        samples.append(("_count", labels, h.cumulative()[1]))
        samples.append(("_sum", labels, h.sum))
    return Family(name, "summary", doc, samples)


def go_float(value):
    """A number as Prometheus (Go) prints it, like prometheus_client's floatToGoString."""
    d = float(value)
    if d == float("inf"):
        return "+Inf"
    if d == float("-inf"):
        return "-Inf"
    if d != d:
        return "NaN"
    s = repr(d)
    dot = s.find(".")
    if d > 0 and dot > 6:
        mantissa = f"{s[0]}.{s[1:dot]}{s[dot + 1:]}".rstrip("0.")
        return f"{mantissa}e+0{dot - 1}"
    return s


def _escape_label(value):
    return str(value).replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _escape_help(text):
    return text.replace("\\", r"\\").replace("\n", r"\n")


def text(families):
    """The exposition written by hand."""
    out = []
    for f in families:
        head, kind = f.name, f.type
        if kind == "counter":
            head += "_total"
        elif kind == "info":
            head, kind = head + "_info", "gauge"
        out.append(f"# HELP {head} {_escape_help(f.help)}\n# TYPE {head} {kind}\n")
        for suffix, labels, value in f.samples:
            label_text = ",".join(f'{k}="{_escape_label(v)}"' for k, v in sorted(labels.items()))
            out.append(f"{f.name}{suffix}{{{label_text}}}" if label_text else f.name + suffix)
            out.append(f" {go_float(value)}\n")
    return "".join(out).encode("utf-8")


class _Collector:
    def __init__(self, families):
        self._families = families

    def collect(self):
        for f in self._families:
            metric = Metric(f.name, f.help, f.type)
            for suffix, labels, value in f.samples:
                metric.add_sample(f.name + suffix, {k: str(v) for k, v in labels.items()}, value)
            yield metric


def with_prometheus_client(families):
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(families))
    return generate_latest(registry)


def render(families, use_client=None):
    """(body, content type); `use_client` None = prometheus_client when it is importable."""
    if use_client is None:
        use_client = generate_latest is not None
    if use_client:
        try:
            return with_prometheus_client(families), CONTENT_TYPE
        except Exception:
            pass  # an incompatible prometheus_client: the text below is the same format
    return text(families), CONTENT_TYPE

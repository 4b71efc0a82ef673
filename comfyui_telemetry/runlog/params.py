"""What defines a run, read from its prompt (ComfyUI's API format: `{node_id: {"class_type",
"inputs": {name: literal | [source_id, slot]}}}`). Pure functions: no ComfyUI import here.

- Known core node types give named parameters (checkpoint, LoRAs, VAE, sampler, scheduler,
  steps, cfg, denoise, seed, size, batch, positive/negative text), so Compare can say what
  differs. A value wired from another node (a primitive, a seed node) is followed one link.
- Every node's literal inputs are kept too (`widgets`), so custom nodes are not lost.
- An input whose name says it is a credential (key, token, secret, password, ...) or that its
  node declares hidden or password-like is never kept, nor is a string that looks like an API
  key. Text can be left out altogether (`store_text=False`): prompt text and widget values.
- `graph_hash` groups runs of the same graph: class types and links, never values.
"""

import hashlib
import json
import re

MAX_TEXT = 4000  # characters of one prompt text or string widget kept
MAX_WIDGET_NODES = 200
MAX_WIDGETS_PER_NODE = 40

CREDENTIAL_WORDS = frozenset({
    "key", "apikey", "token", "secret", "password", "passwd", "pwd", "auth", "authorization",
    "credential", "credentials", "cookie", "bearer", "session", "signature", "private",
})
CREDENTIAL_SUBSTRINGS = ("api_key", "apikey", "token", "secret", "password", "credential",
                         "auth_")
# Strings shaped like common API keys (OpenAI, GitHub, Hugging Face, Slack, AWS, Google, JWT).
SECRET_VALUE = re.compile(
    r"^(sk-|sk_|pk_|rk_|ghp_|gho_|ghs_|github_pat_|hf_|xox[abpr]-|AKIA|AIza|eyJ|Bearer\s)",
)

SAMPLERS = {
    "KSampler": {"seed": "seed", "steps": "steps", "cfg": "cfg", "sampler_name": "sampler",
                 "scheduler": "scheduler", "denoise": "denoise"},
    "KSamplerAdvanced": {"noise_seed": "seed", "steps": "steps", "cfg": "cfg",
                         "sampler_name": "sampler", "scheduler": "scheduler",
                         "start_at_step": "start_at_step", "end_at_step": "end_at_step"},
    "SamplerCustom": {"noise_seed": "seed", "cfg": "cfg"},
    "RandomNoise": {"noise_seed": "seed"},
    "KSamplerSelect": {"sampler_name": "sampler"},
    "BasicScheduler": {"scheduler": "scheduler", "steps": "steps", "denoise": "denoise"},
    "CFGGuider": {"cfg": "cfg"},
    "FluxGuidance": {"guidance": "guidance"},
}
MODEL_LOADERS = {
    "CheckpointLoaderSimple": ("ckpt_name", "checkpoint"),
    "CheckpointLoader": ("ckpt_name", "checkpoint"),
    "ImageOnlyCheckpointLoader": ("ckpt_name", "checkpoint"),
    "unCLIPCheckpointLoader": ("ckpt_name", "checkpoint"),
    "UNETLoader": ("unet_name", "checkpoint"),
    "VAELoader": ("vae_name", "vae"),
    "CLIPLoader": ("clip_name", "clip"),
    "ControlNetLoader": ("control_net_name", "controlnet"),
    "UpscaleModelLoader": ("model_name", "upscale_model"),
}
LORA_LOADERS = ("LoraLoader", "LoraLoaderModelOnly")
LATENTS = ("EmptyLatentImage", "EmptySD3LatentImage", "EmptyHunyuanLatentVideo",
           "EmptyLTXVLatentVideo", "EmptyMochiLatentVideo", "EmptyCosmosLatentVideo")
TEXT_ENCODERS = ("CLIPTextEncode", "CLIPTextEncodeSDXL", "CLIPTextEncodeFlux")


def _words(name):
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {w for w in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if w}


def is_credential_name(name):
    """An input name that says it holds a credential."""
    if not isinstance(name, str):
        return False
    low = name.lower()
    return bool(_words(name) & CREDENTIAL_WORDS) or any(s in low for s in CREDENTIAL_SUBSTRINGS)


def looks_secret(value):
    return isinstance(value, str) and bool(SECRET_VALUE.match(value.strip()))


def is_link(value):
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int))
            and isinstance(value[1], int) and not isinstance(value[1], bool))


def _scalar(value):
    return value is None or isinstance(value, (bool, int, float, str))


def _clip(value):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    return value


def _nodes(prompt):
    if not isinstance(prompt, dict):
        return {}
    return {str(k): v for k, v in prompt.items()
            if isinstance(v, dict) and isinstance(v.get("class_type"), str)}


def _inputs(node):
    inputs = node.get("inputs")
    return inputs if isinstance(inputs, dict) else {}


def _resolve(nodes, value, depth=0):
    """A literal, or the single literal input of the node a link comes from (a primitive)."""
    if not is_link(value):
        return value if _scalar(value) else None
    if depth > 2:
        return None
    src = nodes.get(str(value[0]))
    if src is None:
        return None
    literals = [(k, v) for k, v in _inputs(src).items() if not is_credential_name(k)]
    if len(literals) == 1:
        return _resolve(nodes, literals[0][1], depth + 1)
    for name in ("value", "seed", "noise_seed", "int", "float", "string", "text"):
        if name in _inputs(src):
            return _resolve(nodes, _inputs(src)[name], depth + 1)
    return None


def needed(prompt, targets):
    """The nodes ComfyUI runs for `targets` (its outputs to execute): they and every node they
    read from. None when the targets are unknown."""
    if not isinstance(targets, list):
        return None
    nodes, seen = _nodes(prompt), set()
    todo = [str(t) for t in targets if isinstance(t, (str, int))]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        todo.extend(str(v[0]) for v in _inputs(nodes[node_id]).values() if is_link(v))
    return seen


def node_key(node_id):
    """ComfyUI node ids sorted like the page's `node_order`: numeric parts numerically."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in str(node_id).split(":")]


def sorted_ids(nodes):
    return sorted(nodes, key=node_key)


class Hidden:
    """Which inputs a node class declares hidden or password-like (`INPUT_TYPES()`), looked up
    through `lookup(class_type) -> dict | None` and cached; a lookup that fails hides nothing."""

    def __init__(self, lookup=None):
        self.lookup = lookup
        self.cache = {}

    def names(self, class_type):
        if self.lookup is None:
            return frozenset()
        if class_type not in self.cache:
            out = set()
            try:
                spec = self.lookup(class_type) or {}
                out.update(n for n in (spec.get("hidden") or {}) if isinstance(n, str))
                for section in ("required", "optional"):
                    for name, decl in (spec.get(section) or {}).items():
                        if _secret_decl(decl):
                            out.add(name)
            except Exception:
                pass
            self.cache[class_type] = frozenset(out)
        return self.cache[class_type]


def _secret_decl(decl):
    if not isinstance(decl, (list, tuple)) or not decl:
        return False
    kind = decl[0]
    if isinstance(kind, str) and is_credential_name(kind):
        return True
    opts = decl[1] if len(decl) > 1 and isinstance(decl[1], dict) else {}
    return any(opts.get(k) for k in ("password", "sensitive", "secret"))


def _keep(name, value, hidden):
    return not (name in hidden or is_credential_name(name) or looks_secret(value))


def _text_of(nodes, link, hidden_of):
    """The prompt text a conditioning input comes from (a text encoder, followed one link)."""
    if not is_link(link):
        return None
    node = nodes.get(str(link[0]))
    if node is None or node["class_type"] not in TEXT_ENCODERS:
        return None
    hidden = hidden_of(node["class_type"])
    parts = []
    for name in ("text", "text_g", "text_l", "clip_l", "t5xxl"):
        value = _resolve(nodes, _inputs(node).get(name))
        if isinstance(value, str) and _keep(name, value, hidden):
            parts.append(value)
    return _clip("\n".join(parts)) if parts else None


def extract(prompt, *, store_text=True, hidden=None):
    """The named parameters and the widget fallback of one prompt (see the module doc)."""
    hidden = hidden or Hidden()
    nodes = _nodes(prompt)
    out = {}
    loras, samplers = [], []
    models = {}

    def put(key, value):
        if value is not None and key not in out:
            out[key] = value

    for node_id in sorted_ids(nodes):
        node = nodes[node_id]
        kind = node["class_type"]
        inputs = _inputs(node)
        secret = hidden.names(kind)
        if kind in MODEL_LOADERS:
            name, key = MODEL_LOADERS[kind]
            value = _resolve(nodes, inputs.get(name))
            if isinstance(value, str) and _keep(name, value, secret):
                models.setdefault(key, []).append(value)
        elif kind in ("DualCLIPLoader", "TripleCLIPLoader"):
            for name in ("clip_name1", "clip_name2", "clip_name3"):
                value = _resolve(nodes, inputs.get(name))
                if isinstance(value, str):
                    models.setdefault("clip", []).append(value)
        elif kind in LORA_LOADERS:
            lora = {"name": _resolve(nodes, inputs.get("lora_name")),
                    "strength_model": _resolve(nodes, inputs.get("strength_model"))}
            if "strength_clip" in inputs:
                lora["strength_clip"] = _resolve(nodes, inputs.get("strength_clip"))
            if isinstance(lora["name"], str):
                loras.append(lora)
        elif kind in LATENTS:
            for name in ("width", "height", "batch_size", "length"):
                value = _resolve(nodes, inputs.get(name))
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    put("batch" if name == "batch_size" else name, value)
        if kind in SAMPLERS:
            sampler = {"node": node_id, "class_type": kind}
            for name, key in SAMPLERS[kind].items():
                value = _resolve(nodes, inputs.get(name))
                if value is not None and _keep(name, value, secret):
                    sampler[key] = value
            if store_text:
                for side in ("positive", "negative"):
                    text = _text_of(nodes, inputs.get(side), hidden.names)
                    if text is not None:
                        sampler[side] = text
            samplers.append(sampler)

    for key, values in models.items():
        put(key, values[0])
        if len(values) > 1:
            out[key + "s"] = values
    if loras:
        out["loras"] = loras
        out["lora"] = ", ".join(f"{l['name']}@{l.get('strength_model')}" for l in loras)
    for sampler in samplers:
        for key, value in sampler.items():
            if key not in ("node", "class_type"):
                put(key, value)
    if len(samplers) > 1:
        out["samplers"] = samplers
    if store_text:
        out["widgets"] = widgets(nodes, hidden)
    return out


def widgets(nodes, hidden=None):
    """`{node_id: {"class_type", "inputs": {name: literal}}}`: every node's literal inputs,
    credentials left out, long strings cut, bounded in nodes and inputs."""
    hidden = hidden or Hidden()
    out = {}
    for node_id in sorted_ids(nodes)[:MAX_WIDGET_NODES]:
        node = nodes[node_id]
        secret = hidden.names(node["class_type"])
        kept = {}
        for name, value in _inputs(node).items():
            if len(kept) >= MAX_WIDGETS_PER_NODE:
                break
            if is_link(value) or not _scalar(value) or not _keep(name, value, secret):
                continue
            kept[name] = _clip(value)
        out[node_id] = {"class_type": node["class_type"], "inputs": kept}
    return out


def graph_hash(prompt):
    """A short hash of the graph's structure: node ids, class types and links, no values."""
    nodes = _nodes(prompt)
    shape = []
    for node_id in sorted_ids(nodes):
        links = sorted((name, str(v[0]), v[1]) for name, v in _inputs(nodes[node_id]).items()
                       if is_link(v))
        shape.append([node_id, nodes[node_id]["class_type"], links])
    raw = json.dumps(shape, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:16]


def workflow_label(prompt):
    """The page's synthetic name: distinct class types in node order, joined by arrows."""
    nodes = _nodes(prompt)
    seen = []
    for node_id in sorted_ids(nodes):
        kind = nodes[node_id]["class_type"]
        if kind not in seen:
            seen.append(kind)
    return " → ".join(seen) if seen else None


def workflow_identity(extra_data):
    """(name, id, front-end version) of the workflow the front end attached
    (`extra_data.extra_pnginfo.workflow`), each None when absent."""
    pnginfo = extra_data.get("extra_pnginfo") if isinstance(extra_data, dict) else None
    wf = pnginfo.get("workflow") if isinstance(pnginfo, dict) else None
    if not isinstance(wf, dict):
        return None, None, None
    extra = wf.get("extra") if isinstance(wf.get("extra"), dict) else {}
    name = None
    for candidate in (wf.get("name"), extra.get("name"), extra.get("workflow_name"),
                      extra.get("title")):
        if isinstance(candidate, str) and candidate.strip():
            name = candidate.strip()[:200]
            break
    wf_id = wf.get("id") if isinstance(wf.get("id"), str) else None
    frontend = extra.get("frontendVersion")
    return name, (wf_id[:100] if wf_id else None), (frontend if isinstance(frontend, str) else None)

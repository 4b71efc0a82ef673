"""Run parameters read from a prompt: core node types, the widget fallback, credentials never
kept, the text switch, the graph-structure hash and the front end's workflow identity."""

import copy

from comfyui_telemetry.runlog import params as P

SD15 = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5.safetensors"}},
    "10": {"class_type": "LoraLoader", "inputs": {"lora_name": "detail.safetensors",
                                                   "strength_model": 0.8, "strength_clip": 1.0,
                                                   "model": ["4", 0], "clip": ["4", 1]}},
    "11": {"class_type": "VAELoader", "inputs": {"vae_name": "vae-ft-mse.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768,
                                                        "batch_size": 2}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox", "clip": ["10", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["10", 1]}},
    "12": {"class_type": "PrimitiveInt", "inputs": {"value": 1234}},
    "3": {"class_type": "KSampler", "inputs": {
        "seed": ["12", 0], "steps": 20, "cfg": 7.5, "sampler_name": "euler",
        "scheduler": "normal", "denoise": 1.0, "model": ["10", 0], "positive": ["6", 0],
        "negative": ["7", 0], "latent_image": ["5", 0]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["11", 0]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "fox", "images": ["8", 0]}},
    "20": {"class_type": "SomeApiNode", "inputs": {"api_key": "sk-abcdefghijklmnop",
                                                  "auth_token": "t0k3n-value-123",
                                                  "userPassword": "hunter22", "quality": "hd",
                                                  "note": "sk-proj-leakedvalue12345",
                                                  "max_retries": 3}},
}


def test_core_nodes_give_named_parameters():
    p = P.extract(SD15)
    assert p["checkpoint"] == "v1-5.safetensors"
    assert p["vae"] == "vae-ft-mse.safetensors"
    assert p["loras"] == [{"name": "detail.safetensors", "strength_model": 0.8,
                           "strength_clip": 1.0}]
    assert (p["sampler"], p["scheduler"], p["steps"], p["cfg"], p["denoise"]) == (
        "euler", "normal", 20, 7.5, 1.0)
    assert p["seed"] == 1234  # followed from the primitive it is wired from
    assert (p["width"], p["height"], p["batch"]) == (512, 768, 2)
    assert (p["positive"], p["negative"]) == ("a red fox", "blurry")


def test_advanced_and_custom_samplers():
    prompt = {
        "1": {"class_type": "KSamplerAdvanced", "inputs": {
            "noise_seed": 7, "steps": 30, "cfg": 4.0, "sampler_name": "dpmpp_2m",
            "scheduler": "karras", "start_at_step": 0, "end_at_step": 30, "add_noise": "enable"}},
    }
    p = P.extract(prompt)
    assert (p["seed"], p["steps"], p["sampler"], p["scheduler"]) == (7, 30, "dpmpp_2m", "karras")
    custom = {
        "1": {"class_type": "RandomNoise", "inputs": {"noise_seed": 99}},
        "2": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "3": {"class_type": "BasicScheduler", "inputs": {"scheduler": "simple", "steps": 4,
                                                          "denoise": 1.0, "model": ["9", 0]}},
        "4": {"class_type": "SamplerCustomAdvanced", "inputs": {
            "noise": ["1", 0], "sampler": ["2", 0], "sigmas": ["3", 0]}},
    }
    p = P.extract(custom)
    assert (p["seed"], p["sampler"], p["scheduler"], p["steps"]) == (99, "euler", "simple", 4)


def test_custom_nodes_keep_their_widget_values_but_never_credentials():
    p = P.extract(SD15)
    api = p["widgets"]["20"]
    assert api["class_type"] == "SomeApiNode"
    assert api["inputs"] == {"quality": "hd", "max_retries": 3}
    text = repr(p)
    for secret in ("sk-abcdefghijklmnop", "t0k3n-value-123", "hunter22", "sk-proj-leaked"):
        assert secret not in text
    assert "model" not in p["widgets"]["10"]["inputs"]  # links are structure, not widgets


def test_inputs_a_node_declares_hidden_or_password_are_left_out():
    def lookup(kind):
        return {"required": {"endpoint": ("STRING", {"password": True}), "size": ("INT",)},
                "hidden": {"unique_id": "UNIQUE_ID"}} if kind == "Remote" else None

    prompt = {"1": {"class_type": "Remote", "inputs": {"endpoint": "https://u:p@x", "size": 3,
                                                        "unique_id": "1"}}}
    p = P.extract(prompt, hidden=P.Hidden(lookup))
    assert p["widgets"]["1"]["inputs"] == {"size": 3}


def test_credential_names():
    for name in ("api_key", "apiKey", "API_KEY", "auth_token_comfy_org", "secret", "password",
                 "hf_token", "bearer", "client_secret", "Authorization"):
        assert P.is_credential_name(name), name
    for name in ("steps", "seed", "keyframe_count", "text", "monkey", "denoise"):
        assert not P.is_credential_name(name), name


def test_text_switch_keeps_parameters_but_no_prompt_text_or_widgets():
    p = P.extract(SD15, store_text=False)
    assert "widgets" not in p and "positive" not in p and "negative" not in p
    assert "a red fox" not in repr(p)
    assert p["steps"] == 20 and p["checkpoint"] == "v1-5.safetensors"


def test_graph_hash_groups_runs_by_structure_not_values():
    changed_values = copy.deepcopy(SD15)
    changed_values["3"]["inputs"]["steps"] = 40
    changed_values["6"]["inputs"]["text"] = "a blue fox"
    assert P.graph_hash(changed_values) == P.graph_hash(SD15)
    rewired = copy.deepcopy(SD15)
    rewired["3"]["inputs"]["positive"] = ["7", 0]
    assert P.graph_hash(rewired) != P.graph_hash(SD15)
    retyped = copy.deepcopy(SD15)
    retyped["11"]["class_type"] = "VAELoader2"
    assert P.graph_hash(retyped) != P.graph_hash(SD15)


def test_workflow_identity_and_label():
    extra = {"extra_pnginfo": {"workflow": {"id": "wf-123", "nodes": [],
                                            "extra": {"frontendVersion": "1.27.10"}}}}
    assert P.workflow_identity(extra) == (None, "wf-123", "1.27.10")
    named = {"extra_pnginfo": {"workflow": {"id": "x", "extra": {"name": "Portraits"}}}}
    assert P.workflow_identity(named)[0] == "Portraits"
    assert P.workflow_identity({}) == (None, None, None)
    assert P.workflow_label(SD15).startswith("KSampler → CheckpointLoaderSimple")


def test_odd_prompts_do_not_raise():
    for prompt in (None, [], {"1": None}, {"1": {"class_type": 3}},
                   {"1": {"class_type": "KSampler", "inputs": {"seed": ["404", 0], "steps": [1]}}}):
        P.extract(prompt)
        P.graph_hash(prompt)

"""BART snapshots -> served folder (slmtorch/bart.py; the folder writer of convert_bart.py)."""
import json
import os

import torch

import convert_bart
from families import snapshot
from slmtorch import bart

MODEL_TYPES = ("bart",)


def convert(snapshot_dir: str, out_dir: str, args) -> None:
    cfg = bart.BartConfig.from_hf_dict(snapshot.read_config(snapshot_dir))
    model = bart.build(cfg)
    bart.load_hf_state_dict(model, dict(snapshot.iter_tensors(snapshot_dir, torch.float32)))
    model.eval()
    max_in = min(cfg.max_position_embeddings, 512)
    max_new = max(1, max_in // 2)
    if args.max_total_tokens:
        max_in = min(max_in, max(1, (args.max_total_tokens * 2) // 3))
        max_new = max(1, args.max_total_tokens - max_in)
    tc = None
    tc_path = os.path.join(snapshot_dir, "tokenizer_config.json")
    if os.path.exists(tc_path):
        with open(tc_path, encoding="utf-8") as f:
            tc = {k: v for k, v in json.load(f).items() if isinstance(v, (str, int, float, bool)) or v is None}
        tc["model_max_length"] = max_in
    name = args.name or os.path.basename(os.path.normpath(out_dir))
    props = convert_bart.serving_properties(args.batch_size, max_in, max_in + max_new)
    props["option.dtype"] = args.dtype
    convert_bart.write_served_folder(model, cfg, os.path.join(snapshot_dir, "tokenizer.json"), out_dir, props,
                                     model_name=name, tokenizer_config_json=tc)

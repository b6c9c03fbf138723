"""BERT snapshots -> served encoder folder (slmtorch/bert.py; the folder writer of hf_bert.py)."""
import json
import os

import torch

import hf_bert
from families import snapshot
from slmtorch import bert

MODEL_TYPES = ("bert",)


def convert(snapshot_dir: str, out_dir: str, args) -> None:
    cfg = snapshot.read_config(snapshot_dir)
    arch = (cfg.get("architectures") or ["BertModel"])[0]
    arch = "BertForMaskedLM" if arch == "BertForPreTraining" else arch
    if arch not in hf_bert.TASKS:
        raise ValueError(f"unsupported architecture {arch}; supported: {', '.join(hf_bert.TASKS)}")
    cfg["architectures"] = [arch]
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("only absolute position embeddings are supported for bert")
    if arch == "BertForSequenceClassification" and "id2label" not in cfg:
        n = cfg.get("num_labels", 2)
        cfg["id2label"] = {str(i): "LABEL_%d" % i for i in range(n)}
        cfg["label2id"] = {"LABEL_%d" % i: i for i in range(n)}
    model = bert.build(cfg)
    sd = hf_bert._normalise_keys(dict(snapshot.iter_tensors(snapshot_dir, torch.float32)), model)
    bert.load_hf_state_dict(model, sd)
    model.eval()
    max_in = min(512, cfg["max_position_embeddings"], args.max_total_tokens or 512)
    hf_bert.write_served(model, cfg, out_dir, tokenizer_dir=snapshot_dir, max_input_tokens=max_in,
                         quantize=getattr(args, "quantize", None))

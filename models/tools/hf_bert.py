"""Hugging Face BERT snapshots <-> served model folders.

    # snapshot (config.json + model.safetensors [+ tokenizer.json, tokenizer_config.json]) -> models/<id>/
    /usr/bin/python3 models/tools/hf_bert.py import SNAPSHOT_DIR models/<id> [--arch BertForMaskedLM] [--task fill-mask]

    # served folder (model.pt + config.json + tokenizer files) -> snapshot layout
    /usr/bin/python3 models/tools/hf_bert.py export models/<id> SNAPSHOT_DIR [--dtype float32|stored]

Supported architectures: BertModel (text-embedding), BertForMaskedLM (fill-mask),
BertForSequenceClassification (text-classification; one label: rerank); model_type roberta / xlm-roberta
(RobertaModel, XLMRobertaModel, *ForSequenceClassification; slmtorch/roberta.py) and distilbert
(DistilBertModel, DistilBertForSequenceClassification; slmtorch/distilbert.py). sentence-transformers files
(modules.json, 1_Pooling/config.json, config_sentence_transformers.json, ...) are copied along. BertForPreTraining snapshots import as
BertForMaskedLM (the next-sentence head is dropped). Tied MLM decoder keys
(cls.predictions.decoder.weight/bias) are omitted on export, as transformers does for safetensors, and
accepted (checked to be tied) on import. Old gamma/beta LayerNorm names are renamed.
Safetensors are read and written by slmtorch.safetensors_io (no safetensors package needed).
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from slmtorch import bert, distilbert, export, roberta, safetensors_io  # noqa: E402

TASKS = {
    "BertModel": "text-embedding",
    "BertForMaskedLM": "fill-mask",
    "BertForSequenceClassification": "text-classification",
}
# model_type -> the slmtorch module of the other encoder families (bert keeps the path below)
FAMILIES = {"roberta": roberta, "xlm-roberta": roberta, "distilbert": distilbert}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")
# sentence-transformers files the server reads (pooling, normalisation, prompts); kept by every converter
ST_FILES = ("modules.json", "config_sentence_transformers.json", "sentence_bert_config.json")


def task_for(arch: str, cfg: dict) -> str:
    """text-embedding for bare encoders; a sequence classifier with one label is a reranker (as TEI decides)."""
    if arch.endswith("ForSequenceClassification"):
        return "rerank" if len(cfg.get("id2label") or {}) == 1 else "text-classification"
    if arch.endswith("ForMaskedLM"):
        return "fill-mask"
    return "text-embedding"


def copy_sentence_transformers(src_dir: str, out_dir: str) -> None:
    """modules.json, config_sentence_transformers.json and each module folder's config.json (1_Pooling, ...)."""
    if not src_dir or os.path.abspath(src_dir) == os.path.abspath(out_dir):
        return
    for name in ST_FILES:
        if os.path.exists(os.path.join(src_dir, name)):
            shutil.copyfile(os.path.join(src_dir, name), os.path.join(out_dir, name))
    for name in sorted(os.listdir(src_dir)):
        conf = os.path.join(src_dir, name, "config.json")
        if name[:1].isdigit() and "_" in name and os.path.isfile(conf):
            os.makedirs(os.path.join(out_dir, name), exist_ok=True)
            shutil.copyfile(conf, os.path.join(out_dir, name, "config.json"))


def default_serving(task: str, max_input_tokens: int) -> dict:
    # Pooling and normalisation of embedders come from the folder's sentence-transformers files (or TEI's
    # default), not from here; option.pooling in serving.properties overrides them.
    props = {"engine": "PyTorch", "option.task": task}
    props.update({"batch_size": 32, "max_batch_delay": 5, "job_queue_size": 256, "minWorkers": 2,
                  "maxWorkers": 2, "max_input_tokens": max_input_tokens})
    return props


def _normalise_keys(sd: dict, model: torch.nn.Module) -> dict:
    out = {}
    for k, v in sd.items():
        if k.endswith("LayerNorm.gamma"):
            k = k[:-len("gamma")] + "weight"
        elif k.endswith("LayerNorm.beta"):
            k = k[:-len("beta")] + "bias"
        out[k] = v
    own = model.state_dict()
    prefixed = any(k.startswith("bert.") for k in own)
    for k in list(out):
        bare = k[len("bert."):] if k.startswith("bert.") else k
        target = k if k in own else (("bert." + bare) if prefixed else bare)
        mlm = isinstance(model, bert.BertForMaskedLM)
        optional = (k.startswith("cls.seq_relationship.") or bare.startswith("pooler.")
                    or (k.startswith("cls.") and not mlm) or k.startswith("classifier."))
        if target not in own and (k not in bert.TIED_MLM_KEYS or not mlm) and optional:
            del out[k]  # heads this architecture does not have (transformers drops them with a warning)
    return out


def load_family_snapshot(snapshot: str, cfg: dict, state: dict = None):
    """RoBERTa / XLM-RoBERTa / DistilBERT: (eval-mode module with the snapshot's fp32 weights, config)."""
    fam = FAMILIES[cfg["model_type"]]
    arch = (cfg.get("architectures") or [next(iter(fam.ARCHITECTURES))])[0]
    if arch not in fam.ARCHITECTURES:
        raise SystemExit("unsupported %s architecture %s (supported: %s)"
                         % (cfg["model_type"], arch, ", ".join(fam.ARCHITECTURES)))
    cfg["architectures"] = [arch]
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise SystemExit("only absolute position embeddings are supported")
    if arch.endswith("ForSequenceClassification") and "id2label" not in cfg:
        n = cfg.get("num_labels", 2)
        cfg["id2label"] = {str(i): "LABEL_%d" % i for i in range(n)}
        cfg["label2id"] = {"LABEL_%d" % i: i for i in range(n)}
    model = fam.ARCHITECTURES[arch](cfg)
    if state is None:
        state = safetensors_io.load(os.path.join(snapshot, "model.safetensors"))
    own = model.state_dict()
    prefixed = any(k.startswith(fam.PREFIX) for k in own)
    sd = {}
    for k, v in state.items():
        bare = k[len(fam.PREFIX):] if k.startswith(fam.PREFIX) else k
        if bare.startswith("pooler.") or k.startswith("lm_head.") or k.startswith("vocab_") \
                or bare in ("embeddings.position_ids", "embeddings.token_type_ids"):
            continue  # heads and buffers this architecture does not have (transformers drops them too)
        key = fam.PREFIX + bare if prefixed and not k.startswith(("classifier.", "pre_classifier.")) else bare
        sd[key] = v
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    if missing or unexpected:
        raise SystemExit("state dict mismatch: missing=%s unexpected=%s" % (missing[:8], unexpected[:8]))
    with torch.no_grad():
        for k, p in own.items():
            if tuple(sd[k].shape) != tuple(p.shape):
                raise SystemExit("%s: shape %s, config.json implies %s" % (k, tuple(sd[k].shape), tuple(p.shape)))
            p.copy_(sd[k].float())
    model.eval()
    return model, cfg


def load_snapshot(snapshot: str, arch: str = None):
    """(eval-mode module with the snapshot's fp32 weights, config dict)."""
    with open(os.path.join(snapshot, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    if cfg.get("model_type") in FAMILIES:
        return load_family_snapshot(snapshot, cfg)
    if arch is None:
        arch = (cfg.get("architectures") or ["BertModel"])[0]
        if arch == "BertForPreTraining":
            arch = "BertForMaskedLM"
    if arch not in TASKS:
        raise SystemExit("unsupported architecture %s (supported: %s)" % (arch, ", ".join(TASKS)))
    cfg["architectures"] = [arch]
    if cfg.get("model_type", "bert") != "bert" or cfg.get("position_embedding_type", "absolute") != "absolute":
        raise SystemExit("only model_type bert with absolute position embeddings is supported")
    if arch == "BertForSequenceClassification" and "id2label" not in cfg:
        n = cfg.get("num_labels", 2)
        cfg["id2label"] = {str(i): "LABEL_%d" % i for i in range(n)}
        cfg["label2id"] = {"LABEL_%d" % i: i for i in range(n)}
    st = os.path.join(snapshot, "model.safetensors")
    if not os.path.exists(st):
        raise SystemExit("no model.safetensors in " + snapshot)
    model = bert.build(cfg)
    sd = _normalise_keys(safetensors_io.load(st), model)
    bert.load_hf_state_dict(model, {k: v.float() for k, v in sd.items()})
    model.eval()
    return model, cfg


def write_snapshot(model: torch.nn.Module, cfg: dict, out_dir: str, tokenizer_dir: str = None,
                   dtype: str = "float32") -> None:
    """Writes config.json + model.safetensors (transformers layout, tied keys omitted) [+ tokenizer files]."""
    os.makedirs(out_dir, exist_ok=True)
    sd = {}
    for k, v in model.state_dict().items():
        v = v.detach()
        if dtype == "float32" and v.is_floating_point():
            v = v.float()
        sd[k] = v
    safetensors_io.save(sd, os.path.join(out_dir, "model.safetensors"), {"format": "pt"})
    export.write_json(os.path.join(out_dir, "config.json"), cfg)
    if tokenizer_dir:
        for name in TOKENIZER_FILES:
            src = os.path.join(tokenizer_dir, name)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(out_dir, name))


def write_served(model: torch.nn.Module, cfg: dict, out_dir: str, tokenizer_dir: str = None, task: str = None,
                 max_input_tokens: int = None, serving: dict = None, quantize: str = None) -> str:
    """Writes model.pt (fp16 matrices; quantize="int8": int8, encoder_int8.py), config.json, tokenizer files,
    serving.properties; returns model.pt."""
    os.makedirs(out_dir, exist_ok=True)
    arch = cfg["architectures"][0]
    if tokenizer_dir:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            src = os.path.join(tokenizer_dir, name)
            if os.path.exists(src) and os.path.abspath(src) != os.path.abspath(os.path.join(out_dir, name)):
                shutil.copyfile(src, os.path.join(out_dir, name))
    copy_sentence_transformers(tokenizer_dir, out_dir)
    if not os.path.exists(os.path.join(out_dir, "tokenizer.json")):
        print("warning: no tokenizer.json in %s (the server needs one)" % out_dir, file=sys.stderr)
    export.write_json(os.path.join(out_dir, "config.json"), cfg)
    if serving is None:
        limit = cfg["max_position_embeddings"] - (cfg.get("pad_token_id", 1) + 1 if cfg.get("model_type") in (
            "roberta", "xlm-roberta") else 0)  # RoBERTa positions start at padding_idx + 1
        serving = default_serving(task or task_for(arch, cfg), max_input_tokens or min(512, limit))
    export.write_properties(os.path.join(out_dir, "serving.properties"), serving)
    pt = os.path.join(out_dir, "model.pt")
    if quantize == "int8":
        import encoder_int8
        cos = encoder_int8.save_int8(model, pt)
        print("int8 archive: outputs vs fp32 on random ids, min cosine %.6f" % cos, file=sys.stderr)
    else:
        export.save_torchscript(model, pt, half=True)
    return pt


def load_served(model_dir: str):
    """(TorchScript module as stored, config dict). Needs slmtorch.sdpa (imported by slmtorch.bert)."""
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    return torch.jit.load(os.path.join(model_dir, "model.pt")), cfg


def convert(snapshot_dir: str, out_dir: str, args=None) -> str:
    """The converter entry point's hook for the encoder families (bert, roberta, xlm-roberta, distilbert): a
    transformers snapshot -> served folder, sentence-transformers files kept. Returns the model.pt path."""
    model, cfg = load_snapshot(snapshot_dir)
    max_in = getattr(args, "max_input_tokens", None) if args is not None else None
    return write_served(model, cfg, out_dir, snapshot_dir, None, max_in, quantize=getattr(args, "quantize", None))


def served_to_module(model_dir: str):
    """Rebuilds the eager module from a served folder (weights exactly as stored, as fp32)."""
    sm, cfg = load_served(model_dir)
    if cfg.get("model_type") in FAMILIES:
        model, cfg = load_family_snapshot(model_dir, cfg, {k: v.detach().float() for k, v in sm.named_parameters()})
        return model, cfg, sm
    model = bert.build(cfg)
    sd = {k: v.detach().float() for k, v in sm.named_parameters()}
    bert.load_hf_state_dict(model, sd)
    model.eval()
    return model, cfg, sm


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("import", help="snapshot -> served folder")
    a.add_argument("snapshot")
    a.add_argument("out")
    a.add_argument("--arch", choices=sorted(TASKS))
    a.add_argument("--task", choices=sorted(set(TASKS.values())))
    a.add_argument("--max-input-tokens", type=int)
    a.add_argument("--keep-serving", action="store_true", help="keep an existing serving.properties")
    a.add_argument("--quantize", choices=("int8",), help="int8 matrices and word embeddings (encoder_int8.py)")
    e = sub.add_parser("export", help="served folder -> snapshot")
    e.add_argument("model_dir")
    e.add_argument("out")
    e.add_argument("--dtype", choices=["float32", "stored"], default="float32",
                   help="float32 (default) or the archive's storage dtypes (fp16 matrices)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cmd == "import":
        model, cfg = load_snapshot(args.snapshot, args.arch)
        serving = None
        props = os.path.join(args.out, "serving.properties")
        if args.keep_serving and os.path.exists(props):
            with open(props, encoding="utf-8") as f:
                serving = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        pt = write_served(model, cfg, args.out, args.snapshot, args.task, args.max_input_tokens, serving,
                          args.quantize)
        print("wrote %s (%.1f MB, sha256 %s)" % (pt, export.size_mb(pt), export.sha256(pt)))
    else:
        model, cfg, _ = served_to_module(args.model_dir)
        if args.dtype == "stored":
            bert.half_matrices(model)
        write_snapshot(model, cfg, args.out, args.model_dir, "float32" if args.dtype == "float32" else "stored")
        print("wrote %s" % os.path.join(args.out, "model.safetensors"))


if __name__ == "__main__":
    main()

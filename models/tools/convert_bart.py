"""Hugging Face BART snapshot <-> slm-serve served folder (TorchScript encoder-decoder with slot caches).

Convert a Hugging Face BART snapshot (config.json, model.safetensors or pytorch_model.bin, tokenizer.json)::

    /usr/bin/python3 models/tools/convert_bart.py convert --hf-dir /path/to/bart --out models/<id>

Export a served nano-bart checkpoint back to the Hugging Face snapshot layout (config.json,
model.safetensors, tokenizer.json, tokenizer_config.json)::

    /usr/bin/python3 models/tools/convert_bart.py export-hf --ckpt /tmp/nano-bart-work/ckpt.pt \
        --config models/nano-bart/config.json --tokenizer models/nano-bart/tokenizer.json --out /tmp/nano-bart-hf

The converter reads safetensors itself (slmtorch/safetensors_io.py; F32, F16, BF16 widened to float32),
ignores ``lm_head.weight`` (tied to ``model.shared``) and the duplicated
``model.{encoder,decoder}.embed_tokens.weight``, and writes fp32 weights. Supported: ``model_type`` bart,
post-LayerNorm (no ``normalize_before`` / ``add_final_layer_norm``), gelu / gelu_new / relu, tied LM head.
Hugging Face BART tokenizers add ``<s> ... </s>`` to the source through their post-processor; slm-serve
appends nothing itself, so what the tokenizer.json does is what the encoder sees (as in transformers).
"""
import argparse
import copy
import json
import os
import shutil
import sys
from typing import Dict, Optional

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slmtorch import bart, export, safetensors_io  # noqa: E402


def _read_json(path: str):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------- HF snapshot -> model
def load_hf_snapshot(hf_dir: str):
    cfg = bart.BartConfig.from_hf_dict(_read_json(os.path.join(hf_dir, "config.json")))
    st = os.path.join(hf_dir, "model.safetensors")
    binf = os.path.join(hf_dir, "pytorch_model.bin")
    if os.path.exists(st):
        sd = {k: (v.float() if v.is_floating_point() else v) for k, v in safetensors_io.load(st).items()}
    elif os.path.exists(binf):
        sd = torch.load(binf, map_location="cpu")
    else:
        raise FileNotFoundError(f"{hf_dir}: no model.safetensors or pytorch_model.bin")
    model = bart.build(cfg)
    bart.load_hf_state_dict(model, sd)
    return model.eval(), cfg


def export_hf_snapshot(model: bart.BartForConditionalGeneration, cfg: bart.BartConfig, tokenizer_json: str,
                       out_dir: str, max_input_tokens: Optional[int] = None) -> None:
    """Writes what save_pretrained writes for BartForConditionalGeneration with safetensors: the shared
    embedding once, plus the tied copies transformers also stores (encoder/decoder embed_tokens)."""
    os.makedirs(out_dir, exist_ok=True)
    sd = {k: v.float().contiguous() for k, v in model.state_dict().items()}
    sd["model.encoder.embed_tokens.weight"] = sd["model.shared.weight"].clone()
    sd["model.decoder.embed_tokens.weight"] = sd["model.shared.weight"].clone()
    safetensors_io.save(sd, os.path.join(out_dir, "model.safetensors"), {"format": "pt"})
    export.write_json(os.path.join(out_dir, "config.json"), cfg.to_hf_dict())
    shutil.copyfile(tokenizer_json, os.path.join(out_dir, "tokenizer.json"))
    export.write_json(os.path.join(out_dir, "tokenizer_config.json"),
                      tokenizer_config(tokenizer_json, cfg, max_input_tokens or cfg.max_position_embeddings))


# ---------------------------------------------------------------- served folder
def _token_of(tok: Dict, tid: int) -> Optional[str]:
    for t in tok.get("added_tokens", []):
        if t["id"] == tid:
            return t["content"]
    vocab = tok.get("model", {}).get("vocab", {})
    if isinstance(vocab, dict):
        for k, v in vocab.items():
            if v == tid:
                return k
    return None


def tokenizer_config(tokenizer_json: str, cfg: bart.BartConfig, model_max_length: int) -> Dict:
    tok = _read_json(tokenizer_json)
    out = {"tokenizer_class": "PreTrainedTokenizerFast"}
    for name, tid in (("bos_token", cfg.bos_token_id), ("eos_token", cfg.eos_token_id),
                      ("pad_token", cfg.pad_token_id)):
        s = _token_of(tok, tid)
        if s is not None:
            out[name] = s
    unk = next((t["content"] for t in tok.get("added_tokens", []) if t["content"] in ("<unk>", "[UNK]")), None)
    if unk:
        out["unk_token"] = unk
    out["model_max_length"] = model_max_length
    out["clean_up_tokenization_spaces"] = False
    return out


def serving_properties(batch_size: int, max_input_tokens: int, max_total_tokens: int) -> Dict:
    return {
        "engine": "PyTorch",
        "option.task": "text2text-generation",
        "batch_size": batch_size,
        "max_batch_delay": 1,
        "job_queue_size": 64,
        "minWorkers": 1,
        "maxWorkers": 1,
        "max_input_tokens": max_input_tokens,
        "max_total_tokens": max_total_tokens,
    }


@torch.no_grad()
def check_scripted(scripted, model: bart.BartForConditionalGeneration, cfg: bart.BartConfig) -> float:
    """Max |scripted - eager| logits over a padded encode + first step + one decode step (in-memory scripted
    module; torch 1.13 runs it through the math SDPA stand-in)."""
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, cfg.vocab_size, (2, 7), generator=g)
    lengths = torch.tensor([7, 4])
    slots = torch.tensor([1, 0])
    err = 0.0
    caches = []
    for m in (scripted, model):
        c = (m.new_cache_tensor(2, 8), m.new_cache_tensor(2, 8), m.new_cross_cache_tensor(2, 8),
             m.new_cross_cache_tensor(2, 8))
        m.encode(ids, lengths, slots, c[2], c[3])
        caches.append(c)
    outs = []
    for m, c in zip((scripted, model), caches):
        a = m(torch.full((2, 1), cfg.decoder_start_token_id), torch.zeros(2, 1, dtype=torch.long), slots,
              torch.zeros(2, dtype=torch.long), lengths, *c)
        b = m(torch.tensor([[5], [6]]), torch.ones(2, 1, dtype=torch.long), slots, torch.zeros(2, dtype=torch.long),
              lengths, *c)
        outs.append((a, b))
    for x, y in zip(outs[0], outs[1]):
        err = max(err, float((x - y).abs().max()))
    return err


def write_served_folder(model: bart.BartForConditionalGeneration, cfg: bart.BartConfig, tokenizer_json: str,
                        out_dir: str, props: Dict, model_name: str = "bart", readme: Optional[str] = None,
                        tokenizer_config_json: Optional[Dict] = None, to_buffers=bart.to_buffers,
                        make_tokenizer_config=None):
    """model.pt (TorchScript, fp32 weights, deterministic bytes), tokenizer.json, tokenizer_config.json,
    config.json, serving.properties; README.md only if given. Returns the in-memory scripted module.
    Another encoder-decoder family with the same archive contract (T5) passes its own to_buffers and
    tokenizer_config maker."""
    os.makedirs(out_dir, exist_ok=True)
    model = model.eval()
    served = to_buffers(copy.deepcopy(model))
    scripted = export.save_torchscript(served, os.path.join(out_dir, "model.pt"), half=False)
    err = check_scripted(scripted, model, cfg)
    if err > 1e-4:
        raise AssertionError(f"scripted model differs from eager by {err}")
    if os.path.abspath(tokenizer_json) != os.path.abspath(os.path.join(out_dir, "tokenizer.json")):
        shutil.copyfile(tokenizer_json, os.path.join(out_dir, "tokenizer.json"))
    tc = tokenizer_config_json or (make_tokenizer_config or tokenizer_config)(tokenizer_json, cfg,
                                                                               int(props["max_input_tokens"]))
    export.write_json(os.path.join(out_dir, "tokenizer_config.json"), tc)
    export.write_json(os.path.join(out_dir, "config.json"), cfg.to_hf_dict())
    export.write_properties(os.path.join(out_dir, "serving.properties"), props)
    if readme is not None:
        with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
            f.write(readme)
    print(f"{model_name}: wrote {out_dir} (scripted vs eager max |diff| {err:.2e})", file=sys.stderr)
    return scripted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="HF BART snapshot -> served folder")
    c.add_argument("--hf-dir", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--batch-size", type=int, default=16)
    c.add_argument("--max-input-tokens", type=int, default=0, help="default: min(max_position_embeddings, 512)")
    c.add_argument("--max-new-tokens", type=int, default=0, help="default: max_input_tokens / 2")
    e = sub.add_parser("export-hf", help="served BART checkpoint (HF-named state dict) -> HF snapshot layout")
    e.add_argument("--ckpt", required=True, help="state dict saved by train_nano_bart.py (HF names)")
    e.add_argument("--config", required=True, help="config.json (HF BartConfig fields)")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cmd == "convert":
        model, cfg = load_hf_snapshot(args.hf_dir)
        name = os.path.basename(os.path.normpath(args.hf_dir))
        max_in = args.max_input_tokens or min(cfg.max_position_embeddings, 512)
        max_new = args.max_new_tokens or max(1, max_in // 2)
        if max_new + 1 > cfg.max_position_embeddings:
            raise SystemExit(f"max_new_tokens {max_new} exceeds the decoder's {cfg.max_position_embeddings} positions")
        tc_path = os.path.join(args.hf_dir, "tokenizer_config.json")
        tc = None
        if os.path.exists(tc_path):
            tc = {k: v for k, v in _read_json(tc_path).items()
                  if isinstance(v, (str, int, float, bool)) or v is None}
            tc["model_max_length"] = max_in
        readme = (f"# {name}\n\nConverted from the Hugging Face BART snapshot `{args.hf_dir}` by "
                  "`models/tools/convert_bart.py convert`. See the source model card for licence and data.\n")
        write_served_folder(model, cfg, os.path.join(args.hf_dir, "tokenizer.json"), args.out,
                            serving_properties(args.batch_size, max_in, max_in + max_new), model_name=name,
                            readme=readme, tokenizer_config_json=tc)
    else:
        cfg = bart.BartConfig.load(args.config)
        model = bart.build(cfg)
        bart.load_hf_state_dict(model, torch.load(args.ckpt, map_location="cpu"))
        export_hf_snapshot(model.eval(), cfg, args.tokenizer, args.out)


if __name__ == "__main__":
    main()

"""Hugging Face T5 / T5 v1.1 / Flan-T5 snapshot -> slm-serve served folder (TorchScript encoder-decoder with slot
caches, the seq2seq contract of docs/model-format-seq2seq.md).

    /usr/bin/python3 models/tools/convert_t5.py --hf-dir /path/to/flan-t5-small --out models/flan-t5-small

Reads config.json, model.safetensors (or a sharded model.safetensors.index.json; F32, F16, BF16 widened to
float32) or pytorch_model.bin, and tokenizer.json (T5's Unigram, copied as is: its post-processor appends
``</s>`` to the source, as transformers does). Writes model.pt (fp32), config.json (the snapshot's T5 fields plus
``max_position_embeddings``, the sequence limit slm-serve's loader checks, since T5 positions are relative),
tokenizer.json, tokenizer_config.json, serving.properties and a README.md pointing at the source.

Refused with a one-line reason (never converted into a model that silently differs): a model_type other than
t5, an architecture other than T5ForConditionalGeneration, a ``feed_forward_proj`` whose activation
slmtorch/t5.py does not implement, embeddings marked tied whose copies differ.

``convert(hf_dir, out, ...)`` is the entry point a model_type registry calls.
"""
import argparse
import json
import os
import sys
from typing import Dict, Optional

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_bart  # noqa: E402  (serving.properties and the scripted-vs-eager check are the family's)
from slmtorch import safetensors_io, t5  # noqa: E402


def _read_json(path: str):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_state_dict(hf_dir: str) -> Dict[str, torch.Tensor]:
    st = os.path.join(hf_dir, "model.safetensors")
    index = os.path.join(hf_dir, "model.safetensors.index.json")
    binf = os.path.join(hf_dir, "pytorch_model.bin")
    if os.path.exists(st):
        files = [st]
    elif os.path.exists(index):
        files = [os.path.join(hf_dir, f) for f in sorted(set(_read_json(index)["weight_map"].values()))]
    elif os.path.exists(binf):
        return {k: (v.float() if v.is_floating_point() else v) for k, v in torch.load(binf, map_location="cpu").items()}
    else:
        raise FileNotFoundError(f"{hf_dir}: no model.safetensors, model.safetensors.index.json or pytorch_model.bin")
    sd: Dict[str, torch.Tensor] = {}
    for f in files:
        sd.update({k: (v.float() if v.is_floating_point() else v) for k, v in safetensors_io.load(f).items()})
    return sd


def load_hf_snapshot(hf_dir: str, max_positions: Optional[int] = None):
    cfg = t5.T5Config.from_hf_dict(_read_json(os.path.join(hf_dir, "config.json")), max_positions)
    model = t5.build(cfg)
    t5.load_hf_state_dict(model, read_state_dict(hf_dir))
    return model.eval(), cfg


def tokenizer_config(tokenizer_json: str, cfg: t5.T5Config, model_max_length: int) -> Dict:
    tok = _read_json(tokenizer_json)
    out = {"tokenizer_class": "PreTrainedTokenizerFast"}
    for name, tid in (("eos_token", cfg.eos_token_id), ("pad_token", cfg.pad_token_id)):
        s = convert_bart._token_of(tok, tid)
        if s is not None:
            out[name] = s
    unk = next((t["content"] for t in tok.get("added_tokens", []) if t["content"] in ("<unk>", "[UNK]")), None)
    if unk:
        out["unk_token"] = unk
    out["model_max_length"] = model_max_length
    out["clean_up_tokenization_spaces"] = False
    return out


def serving_properties(batch_size: int, max_input_tokens: int, max_total_tokens: int) -> Dict:
    return convert_bart.serving_properties(batch_size, max_input_tokens, max_total_tokens)


def write_served_folder(model: t5.T5ForConditionalGeneration, cfg: t5.T5Config, tokenizer_json: str, out_dir: str,
                        props: Dict, model_name: str = "t5", readme: Optional[str] = None,
                        tokenizer_config_json: Optional[Dict] = None):
    """model.pt (TorchScript, fp32 weights, deterministic bytes), tokenizer.json, tokenizer_config.json,
    config.json, serving.properties; README.md only if given. Returns the in-memory scripted module."""
    need = max(int(props["max_input_tokens"]), int(props["max_total_tokens"]) - int(props["max_input_tokens"]) + 1)
    if need > cfg.max_position_embeddings:
        raise ValueError(f"serving limits need {need} positions, more than max_position_embeddings "
                         f"{cfg.max_position_embeddings}")
    return convert_bart.write_served_folder(model, cfg, tokenizer_json, out_dir, props, model_name, readme,
                                            tokenizer_config_json, to_buffers=t5.to_buffers,
                                            make_tokenizer_config=tokenizer_config)


def convert(hf_dir: str, out: str, batch_size: int = 16, max_input_tokens: int = 0, max_new_tokens: int = 0,
            dtype: str = "", name: str = ""):
    """The registry entry point: HF T5 snapshot folder -> served folder. Defaults: 512 source tokens (T5's
    training length), max_new_tokens half of that; dtype, when given, becomes serving.properties' option.dtype
    (the archive keeps fp32 weights; the server casts at load). Returns the in-memory scripted module."""
    max_in = max_input_tokens or 512
    max_new = max_new_tokens or max(1, max_in // 2)
    model, cfg = load_hf_snapshot(hf_dir, max(max_in, max_new + 1))
    name = name or os.path.basename(os.path.normpath(hf_dir))
    tc_path = os.path.join(hf_dir, "tokenizer_config.json")
    tc = None
    if os.path.exists(tc_path):
        tc = {k: v for k, v in _read_json(tc_path).items() if isinstance(v, (str, int, float, bool)) or v is None}
        tc["model_max_length"] = max_in
    readme = (f"# {name}\n\nConverted from the Hugging Face T5 snapshot `{hf_dir}` by "
              "`models/tools/convert_t5.py`. See the source model card for licence and data.\n")
    props = serving_properties(batch_size, max_in, max_in + max_new)
    if dtype:
        props["option.dtype"] = dtype
    return write_served_folder(model, cfg, os.path.join(hf_dir, "tokenizer.json"), out, props, model_name=name,
                               readme=readme, tokenizer_config_json=tc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hf-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-input-tokens", type=int, default=0, help="default 512")
    ap.add_argument("--max-new-tokens", type=int, default=0, help="default: max_input_tokens / 2")
    args = ap.parse_args()
    torch.set_num_threads(1)
    try:
        convert(args.hf_dir, args.out, args.batch_size, args.max_input_tokens, args.max_new_tokens)
    except ValueError as e:
        raise SystemExit(f"convert_t5: {e}")


if __name__ == "__main__":
    main()

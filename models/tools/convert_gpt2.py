"""Hugging Face GPT-2 snapshot <-> slm-serve served folder (TorchScript decoder with a slot KV cache).

Convert a Hugging Face GPT-2 snapshot (config.json, model.safetensors or pytorch_model.bin, tokenizer.json)::

    /usr/bin/python3 models/tools/convert_gpt2.py convert --hf-dir /path/to/gpt2 --out models/gpt2

Export a trained nano-gpt checkpoint to the Hugging Face snapshot layout (config.json, model.safetensors,
tokenizer.json, tokenizer_config.json)::

    /usr/bin/python3 models/tools/convert_gpt2.py export-hf --ckpt /tmp/nano-gpt-work/ckpt.pt \
        --config models/nano-gpt/config.json --tokenizer models/nano-gpt/tokenizer.json --out /tmp/nano-gpt-hf

Re-script a served folder's model.pt with the current serving graph (same weights, other files untouched;
checks the new archive's logits against the old one)::

    /usr/bin/python3 models/tools/convert_gpt2.py upgrade --dir models/nano-gpt

Write a copy of a served folder whose linear layers and LM head are int8 per output channel (CPU serving through
the server's int8 kernel; slmtorch/qlinear.py); `convert` and `random-gpt2-small` take `--quantize int8` too::

    /usr/bin/python3 models/tools/convert_gpt2.py quantize --dir models/nano-gpt --out /tmp/nano-gpt-int8

Write a GPT-2-small-shaped served folder with random weights (124M parameters, 12 layers, d=768,
vocab 50257, n_positions 1024), for benchmarks only, never committed::

    /usr/bin/python3 models/tools/convert_gpt2.py random-gpt2-small --out /tmp/gpt2-small-random
    (also accepted: convert_gpt2.py --random-gpt2-small /tmp/gpt2-small-random)

safetensors is read and written by slmtorch/safetensors_io.py (8-byte little-endian header length, JSON
header, raw little-endian tensor bytes), shared with the BERT tools; no package is needed.
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
import bpe  # noqa: E402
from slmtorch import gpt2, safetensors_io  # noqa: E402


def _read_json(path: str):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------- safetensors
def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """The shared reader (slmtorch.safetensors_io); BF16 is upcast to float32 as the GPT-2 tools expect."""
    return {k: (v.float() if v.dtype == torch.bfloat16 else v) for k, v in safetensors_io.load(path).items()}


def write_safetensors(tensors: Dict[str, torch.Tensor], path: str, metadata: Optional[Dict[str, str]] = None) -> None:
    safetensors_io.save(tensors, path, metadata or {"format": "pt"})


# ---------------------------------------------------------------- HF snapshot -> model
def load_hf_snapshot(hf_dir: str):
    cfg_json = _read_json(os.path.join(hf_dir, "config.json"))
    if cfg_json.get("model_type", "gpt2") != "gpt2":
        raise ValueError(f"not a GPT-2 checkpoint: model_type={cfg_json.get('model_type')}")
    cfg = gpt2.GPT2Config.from_hf_dict(cfg_json)
    st = os.path.join(hf_dir, "model.safetensors")
    binf = os.path.join(hf_dir, "pytorch_model.bin")
    if os.path.exists(st):
        sd = read_safetensors(st)
    elif os.path.exists(binf):
        sd = torch.load(binf, map_location="cpu")
    else:
        raise FileNotFoundError(f"{hf_dir}: no model.safetensors or pytorch_model.bin")
    model = gpt2.build(cfg)
    gpt2.load_hf_state_dict(model, sd)
    return model.eval(), cfg


def export_hf_snapshot(model: gpt2.GPT2LMHeadModel, cfg: gpt2.GPT2Config, tokenizer_json: str, out_dir: str) -> None:
    """Writes the Hugging Face snapshot layout (what save_pretrained writes for GPT2LMHeadModel; lm_head is
    tied, so it is not stored)."""
    os.makedirs(out_dir, exist_ok=True)
    sd = {k: v.float() for k, v in model.state_dict().items()}
    write_safetensors(sd, os.path.join(out_dir, "model.safetensors"))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg.to_hf_dict(), f, indent=2)
    shutil.copyfile(tokenizer_json, os.path.join(out_dir, "tokenizer.json"))
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config(tokenizer_json, cfg), f, indent=2)


# ---------------------------------------------------------------- served folder
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}{{ message['content'] }}{{ eos_token }}"
    "{% else %}{{ message['content'] }}\n{% endif %}"
    "{% endfor %}"
)


def tokenizer_config(tokenizer_json: str, cfg: gpt2.GPT2Config) -> Dict:
    tok = _read_json(tokenizer_json)
    eos = next((t["content"] for t in tok.get("added_tokens", []) if t["id"] == cfg.eos_token_id), bpe.EOT)
    return {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": eos,
        "eos_token": eos,
        "unk_token": eos,
        "add_bos_token": False,
        "add_prefix_space": False,
        "model_max_length": cfg.n_positions,
        "clean_up_tokenization_spaces": False,
        "chat_template": CHAT_TEMPLATE,
    }


def serving_properties(cfg: gpt2.GPT2Config, batch_size: int = 16) -> str:
    max_total = cfg.n_positions
    max_input = (cfg.n_positions * 3) // 4
    return (
        "engine=PyTorch\n"
        "option.task=text-generation\n"
        f"batch_size={batch_size}\n"
        "max_batch_delay=1\n"
        "job_queue_size=64\n"
        "minWorkers=1\n"
        "maxWorkers=1\n"
        f"max_input_tokens={max_input}\n"
        f"max_total_tokens={max_total}\n"
    )


@torch.no_grad()
def check_scripted(scripted, model: gpt2.GPT2LMHeadModel, cfg: gpt2.GPT2Config) -> float:
    """Max |scripted - eager| logits over a fresh prefill and one decode step (in-memory scripted module;
    torch 1.13 runs it through the math SDPA stand-in)."""
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, cfg.vocab_size, (2, 7), generator=g)
    pos = torch.arange(7).view(1, 7).expand(2, 7).contiguous()
    slots = torch.tensor([1, 0])
    li = torch.tensor([6, 4])
    err = 0.0
    caches = [model.new_cache(2, 16), model.new_cache(2, 16)]
    a = scripted(ids, pos, slots, li, *caches[0])
    b = model(ids, pos, slots, li, *caches[1])
    err = max(err, float((a - b).abs().max()))
    step_ids = torch.tensor([[3], [5]])
    step_pos = torch.tensor([[7], [5]])
    a = scripted(step_ids, step_pos, slots, torch.zeros(2, dtype=torch.long), *caches[0])
    b = model(step_ids, step_pos, slots, torch.zeros(2, dtype=torch.long), *caches[1])
    return max(err, float((a - b).abs().max()))


def write_served_folder(model: gpt2.GPT2LMHeadModel, cfg: gpt2.GPT2Config, tokenizer_json: str, out_dir: str,
                        model_name: str = "gpt2", readme: Optional[str] = None, batch_size: int = 16,
                        quantize: Optional[str] = None, archive_dtype: str = "float32"):
    """model.pt (TorchScript, fp32 weights, or int8 / bf16 / fp16 linear layers and LM head with quantize="int8" /
    "bf16" / "fp16", slmtorch/halflinear.py; archive_dtype float16: the
    weights stored in fp16, still served in float32, slmtorch/fp16weights.py), tokenizer.json,
    tokenizer_config.json, config.json, serving.properties; README.md only if given. Returns the in-memory
    scripted module."""
    os.makedirs(out_dir, exist_ok=True)
    model = model.eval()
    scripted = gpt2.script_for_serving(copy.deepcopy(model), quantize)
    # the scripted graph against the eager model it stands for (int8, bf16, fp16: the same layers, run eagerly)
    reference = model if quantize is None else gpt2.quantize_weights(copy.deepcopy(model), quantize)
    err = check_scripted(scripted, reference, cfg)
    if err > 1e-4:
        raise AssertionError(f"scripted model differs from eager by {err}")
    if archive_dtype != "float32":
        scripted.cast(archive_dtype)
    scripted.save(os.path.join(out_dir, "model.pt"))
    if os.path.abspath(tokenizer_json) != os.path.abspath(os.path.join(out_dir, "tokenizer.json")):
        shutil.copyfile(tokenizer_json, os.path.join(out_dir, "tokenizer.json"))
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config(tokenizer_json, cfg), f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg.to_hf_dict(), f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "serving.properties"), "w") as f:
        f.write(serving_properties(cfg, batch_size))
    if readme is not None:
        with open(os.path.join(out_dir, "README.md"), "w") as f:
            f.write(readme)
    print(f"{model_name}: wrote {out_dir} (scripted vs eager max |diff| {err:.2e})", file=sys.stderr)
    return scripted


def quantize_served_folder(src: str, out: str, kind: str = "int8") -> None:
    """A served folder's weights -> a served folder whose linear layers and LM head are int8 (or bf16 / fp16:
    slmtorch/halflinear.py) (README: the source's, with a line saying so)."""
    model, cfg = model_from_archive(torch.jit.load(os.path.join(src, "model.pt")), src)
    readme = None
    if os.path.exists(os.path.join(src, "README.md")):
        with open(os.path.join(src, "README.md"), encoding="utf-8") as f:
            what = "int8 per output channel" if kind == "int8" else kind
            readme = f.read() + (f"\nThis copy's linear layers and LM head are {what}, written by "
                                 f"`models/tools/convert_gpt2.py quantize --kind {kind}`.\n")
    write_served_folder(model, cfg, os.path.join(src, "tokenizer.json"), out,
                        model_name=os.path.basename(os.path.normpath(out)), readme=readme, quantize=kind)


def model_from_archive(archive, model_dir: str):
    """The eager model (training layout) holding a served archive's weights, either Conv1D layout."""
    cfg = gpt2.GPT2Config.load(os.path.join(model_dir, "config.json"))
    modules = dict(archive.named_modules())
    sd = {}
    for k, v in archive.state_dict().items():
        # the packing slots (empty in a saved archive: oneDNN's and the 16-bit tiles of pack_half_weights), the
        # empty tensors layers pass for "none", the fused attention's empty rotary table and an int8 archive's
        # stacked LayerNorms (copies of ln_1, ln_2 and ln_f)
        if k.rsplit(".", 1)[-1] in ("weight_packed", "head_packed", "weight_half", "head_half", "none", "no_rotary",
                                    "ln_1_wb", "ln_2_wb", "ln_f_wb"):
            continue
        owner = modules[k.rsplit(".", 1)[0]]
        out_major = k.endswith(".weight") and hasattr(owner, "out_major") and bool(owner.out_major)
        sd[k] = v.t().contiguous() if out_major else v
    model = gpt2.build(cfg).eval()
    gpt2.load_hf_state_dict(model, sd)
    return model, cfg


@torch.no_grad()
def upgrade_served_folder(model_dir: str) -> float:
    """Re-scripts a served folder's model.pt with the current serving graph from the archive's own weights
    (either Conv1D layout), other files untouched. Returns max |new - old| logits on a probe step."""
    path = os.path.join(model_dir, "model.pt")
    old = torch.jit.load(path, map_location="cpu")
    model, cfg = model_from_archive(old, model_dir)
    scripted = gpt2.script_for_serving(copy.deepcopy(model))
    err = check_scripted(scripted, model, cfg)
    if err > 1e-4:
        raise AssertionError(f"scripted model differs from eager by {err}")
    ids = torch.randint(0, cfg.vocab_size, (2, 7), generator=torch.Generator().manual_seed(1))
    probe = (ids, torch.arange(7).view(1, 7).expand(2, 7).contiguous(), torch.tensor([0, 1]), torch.tensor([6, 3]))
    diff = float((scripted(*probe, *model.new_cache(2, 16)) - old(*probe, *model.new_cache(2, 16))).abs().max())
    if diff > 1e-4:
        raise AssertionError(f"the upgraded archive differs from the old one by {diff}")
    scripted.save(path)
    return diff


# ---------------------------------------------------------------- random GPT-2 small
def filler_tokenizer(vocab_size: int, out_path: str) -> None:
    """A byte-level BPE tokenizer.json with exactly vocab_size ids: the 256 byte symbols, merges learned on the
    KJV if the `bible` program is present (else none), unreachable filler tokens "<|unused_N|>" to pad the
    vocabulary, and <|endoftext|> last (id vocab_size - 1, as in GPT-2). Every id decodes to text."""
    merges_vocab: Dict[str, int] = {bpe.BYTE_ENCODER[b]: b for b in range(256)}
    merges = []
    try:
        import kjv
        train_docs, _, _ = kjv.split(kjv.read_raw())
        v, merges = bpe.train_bpe([kjv.join(train_docs)], 8192, verbose=False)
        merges_vocab = {t: i for t, i in v.items() if t != bpe.EOT}
    except (OSError, ValueError):
        pass
    vocab = dict(merges_vocab)
    n = 0
    while len(vocab) < vocab_size - 1:
        vocab[f"<|unused_{n}|>"] = len(vocab)
        n += 1
    vocab[bpe.EOT] = vocab_size - 1
    bpe.ByteLevelBPE(vocab, merges).save(out_path)


def random_gpt2_small(out_dir: str, seed: int = 0, quantize: Optional[str] = None) -> None:
    torch.manual_seed(seed)
    cfg = gpt2.GPT2Config(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                          bos_token_id=50256, eos_token_id=50256)
    model = gpt2.build(cfg).eval()
    n_params = sum(p.numel() for p in model.parameters())
    os.makedirs(out_dir, exist_ok=True)
    tok_path = os.path.join(out_dir, "tokenizer.json")
    filler_tokenizer(cfg.vocab_size, tok_path)
    readme = (
        "# gpt2-small-random (benchmark only, do not commit)\n\n"
        f"GPT-2 small shape ({n_params} parameters: 12 layers, d=768, 12 heads, vocab 50257, n_positions 1024) "
        f"with random weights (normal std 0.02, seed {seed}), written by "
        "`models/tools/convert_gpt2.py random-gpt2-small`. Its output is noise; it exists to measure speed.\n"
        "The tokenizer is the nano-gpt-style KJV byte-level BPE padded with unreachable `<|unused_N|>` tokens "
        "to 50257 ids (every id decodes), `<|endoftext|>` = 50256.\n"
    )
    write_served_folder(model, cfg, tok_path, out_dir, model_name="gpt2-small-random", readme=readme,
                        quantize=quantize)


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "--random-gpt2-small":  # flag form
        argv = ["random-gpt2-small", "--out"] + argv[1:]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="HF GPT-2 snapshot -> served folder")
    c.add_argument("--hf-dir", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--batch-size", type=int, default=16)
    c.add_argument("--quantize", choices=["int8", "bf16", "fp16"],
                   help="int8 weights per output channel, or bf16 / fp16 weights (CPU serving, slmtorch/halflinear.py)")
    e = sub.add_parser("export-hf", help="nano-gpt checkpoint -> HF snapshot layout")
    e.add_argument("--ckpt", required=True, help="state dict saved by train_nano_gpt.py (HF names)")
    e.add_argument("--config", required=True, help="config.json (HF GPT2Config fields)")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("--out", required=True)
    u = sub.add_parser("upgrade", help="re-script a served folder's model.pt with the current graph, same weights")
    u.add_argument("--dir", required=True)
    q = sub.add_parser("quantize", help="served folder -> served folder with int8 (or bf16 / fp16) linear layers (CPU)")
    q.add_argument("--dir", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--kind", choices=["int8", "bf16", "fp16"], default="int8")
    r = sub.add_parser("random-gpt2-small", help="GPT-2-small-shaped served folder with random weights")
    r.add_argument("--out", required=True)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--quantize", choices=["int8", "bf16", "fp16"],
                   help="int8 weights per output channel, or bf16 / fp16 weights (CPU serving, slmtorch/halflinear.py)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.cmd == "convert":
        model, cfg = load_hf_snapshot(args.hf_dir)
        name = os.path.basename(os.path.normpath(args.hf_dir))
        readme = (f"# {name}\n\nConverted from the Hugging Face GPT-2 snapshot `{args.hf_dir}` by "
                  "`models/tools/convert_gpt2.py convert`. See the source model card for licence and data.\n")
        write_served_folder(model, cfg, os.path.join(args.hf_dir, "tokenizer.json"), args.out, model_name=name,
                            readme=readme, batch_size=args.batch_size, quantize=args.quantize)
    elif args.cmd == "export-hf":
        cfg = gpt2.GPT2Config.load(args.config)
        model = gpt2.build(cfg)
        gpt2.load_hf_state_dict(model, torch.load(args.ckpt, map_location="cpu"))
        export_hf_snapshot(model, cfg, args.tokenizer, args.out)
    elif args.cmd == "upgrade":
        diff = upgrade_served_folder(args.dir)
        print(f"upgraded {args.dir}/model.pt (logits vs the old archive: max |diff| {diff:.2e})", file=sys.stderr)
    elif args.cmd == "quantize":
        quantize_served_folder(args.dir, args.out, args.kind)
    else:
        random_gpt2_small(args.out, args.seed, args.quantize)


if __name__ == "__main__":
    main()

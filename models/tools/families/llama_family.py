"""Llama-family snapshots (model_type llama, mistral, qwen2, qwen3) -> served folder (slmtorch/llama.py)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from typing import Optional

import torch

from families import snapshot
from slmtorch import llama, safetensors_io
from slmtorch.layers import dtype_of

MODEL_TYPES = llama.MODEL_TYPES


def load(snapshot_dir: str, max_total_tokens=None):
    cfg = llama.LlamaConfig(snapshot.read_config(snapshot_dir), max_total_tokens)
    model = llama.build(cfg).eval()
    llama.load_hf_tensors(model, cfg, snapshot.iter_tensors(snapshot_dir))
    return model, cfg


@torch.no_grad()
def write_archive(model: llama.LlamaForCausalLM, cfg: llama.LlamaConfig, path: str, dtype: str = "float32",
                  quantize: Optional[str] = None) -> float:
    """Scripts the model (in place: pass a copy to keep it) and saves it with weights in dtype (quantize="int8":
    int8 linear layers and LM head, checked against the same int8 layers run eagerly). Returns the
    scripted-vs-eager max |logit diff| on a probe step in fp32 (a failed check raises)."""
    llama.fuse_for_serving(model)  # before int8: the stacked layers are quantized as one (fewer row-scale ops)
    if quantize is not None:
        llama.quantize_weights(model, quantize)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, cfg.vocab_size, (2, 5), generator=g)
    want = model.logits_all(ids)[:, -1]
    scripted = llama.script_for_serving(model, quantize)
    pos = torch.arange(5).view(1, 5).expand(2, 5).contiguous()
    got = scripted(ids, pos, torch.tensor([0, 1]), torch.tensor([4, 4]), *model.new_cache(2, 8))
    err = float((got - want).abs().max())
    # int8 too: activations are rounded per row, so the cached step and logits_all round the same rows alike
    if err > 1e-3 * max(1.0, float(want.abs().max())):
        raise AssertionError(f"scripted model differs from eager by {err}")
    if dtype != "float32":
        scripted.cast(dtype)
    scripted.save(path)
    return err


def write_served_folder(model: llama.LlamaForCausalLM, cfg: llama.LlamaConfig, tokenizer_dir: str, out_dir: str,
                        model_name: str = "llama", max_total_tokens: Optional[int] = None, dtype: str = "float32",
                        batch_size: int = 16, quantize: Optional[str] = None, fp16_weights: bool = False) -> None:
    """model.pt, config.json, the tokenizer files found in tokenizer_dir, serving.properties. fp16_weights: the
    archive stores fp16 weights, served in dtype (float32; slmtorch/fp16weights.py)."""
    dtype_of(dtype)
    os.makedirs(out_dir, exist_ok=True)
    err = write_archive(model, cfg, os.path.join(out_dir, "model.pt"), "float16" if fp16_weights else dtype, quantize)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg.to_hf_dict(), f, indent=2)
        f.write("\n")
    snapshot.copy_tokenizer_files(tokenizer_dir, out_dir)
    snapshot.write_serving_properties(out_dir, "text-generation", dtype, batch_size,
                                      cfg.max_total_tokens(max_total_tokens))
    print(f"{model_name}: wrote {out_dir} ({cfg.model_type}, scripted vs eager max |diff| {err:.2e})", file=sys.stderr)


def model_from_archive(archive, served_dir: str):
    """(eager fp32 model, cfg, the archive's dtype name) holding a served archive's weights."""
    cfg = llama.LlamaConfig(snapshot.read_config(served_dir))
    model = llama.build(cfg).eval()
    names = llama.module_shapes(cfg)
    served = llama.split_fused(cfg, archive.state_dict().items())  # stacked q/k/v and gate/up -> their parts
    llama.load_hf_tensors(model, cfg, ((k, v.float()) for k, v in served if k in names))
    dt = archive.model.embed_tokens.weight.dtype
    return model, cfg, {torch.float16: "float16", torch.bfloat16: "bfloat16"}.get(dt, "float32")


@torch.no_grad()
def upgrade_served_folder(served_dir: str) -> float:
    """Re-scripts a served folder's model.pt with the current serving graph (e.g. to add the LoRA methods) from
    the archive's own weights, in its dtype; other files untouched. Returns max |new - old| logits on a probe
    (a difference above 1e-5 raises: the new archive must compute what the old one did)."""
    path = os.path.join(served_dir, "model.pt")
    old = torch.jit.load(path, map_location="cpu")
    model, cfg, dtype = model_from_archive(old, served_dir)
    tmp = path + ".new"
    write_archive(model, cfg, tmp, dtype)
    new = torch.jit.load(tmp, map_location="cpu")
    ids = torch.randint(0, cfg.vocab_size, (2, 9), generator=torch.Generator().manual_seed(2))
    diff = float((new.logits_all(ids) - old.logits_all(ids)).abs().max())
    if diff > 1e-5:
        os.remove(tmp)
        raise AssertionError(f"the upgraded archive differs from the old one by {diff}")
    os.replace(tmp, path)
    return diff


def served_to_snapshot(served_dir: str, out_dir: str) -> None:
    """A served folder back to the Hugging Face snapshot layout (config.json, fp32 model.safetensors, the
    tokenizer files), e.g. nano-llama for an independent engine: the archive's buffers carry the HF names."""
    cfg = llama.LlamaConfig(snapshot.read_config(served_dir))
    archive = torch.jit.load(os.path.join(served_dir, "model.pt"), map_location="cpu")
    want = llama.hf_shapes(cfg)
    parts = llama.module_shapes(cfg)
    served = llama.split_fused(cfg, archive.state_dict().items())  # stacked q/k/v and gate/up -> their parts
    sd = {k: v.float().contiguous() for k, v in served if k in parts}
    if cfg.fused:
        sd = llama.fuse_names(sd)
    missing = [k for k in want if k not in sd]
    if missing:
        raise KeyError(f"missing tensor {missing[0]} in {served_dir}/model.pt")
    os.makedirs(out_dir, exist_ok=True)
    safetensors_io.save(sd, os.path.join(out_dir, "model.safetensors"), {"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(dict(cfg.to_hf_dict(), torch_dtype="float32"), f, indent=2)
    snapshot.copy_tokenizer_files(served_dir, out_dir)


@torch.no_grad()
def quantize_served_folder(src: str, out: str, kind: str = "int8") -> None:
    """An fp32 served folder -> a served folder with int8 (or bf16 / fp16) linear layers (as convert.py --quantize
    KIND writes from a snapshot), the same tokenizer files and a short card naming its source."""
    archive = torch.jit.load(os.path.join(src, "model.pt"), map_location="cpu")
    model, cfg, dtype = model_from_archive(archive, src)
    if dtype != "float32":
        raise ValueError(f"{src}: quantize an fp32 archive (this one is {dtype})")
    name = os.path.basename(os.path.normpath(out))
    write_served_folder(model, cfg, src, out, model_name=name, max_total_tokens=cfg.max_total_tokens(),
                        quantize=kind)
    what = "int8 linear layers and LM head (per output channel)" if kind == "int8" else f"{kind} linear layers and LM head"
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(f"# {name}\n\nThe weights of `{src}` with {what}, written by "
                f"`models/tools/families/llama_family.py quantize --kind {kind}`. Licence and data: the source's card.\n")


def convert(snapshot_dir: str, out_dir: str, args) -> None:
    model, cfg = load(snapshot_dir, args.max_total_tokens or None)
    write_served_folder(model, cfg, snapshot_dir, out_dir, model_name=args.name or os.path.basename(out_dir),
                        max_total_tokens=args.max_total_tokens, dtype=args.dtype, batch_size=args.batch_size,
                        quantize=getattr(args, "quantize", None), fp16_weights=getattr(args, "fp16_weights", False))


if __name__ == "__main__":
    # python3 models/tools/families/llama_family.py export-hf SERVED_DIR OUT_DIR
    # python3 models/tools/families/llama_family.py upgrade SERVED_DIR   (re-script model.pt, same weights)
    # python3 models/tools/families/llama_family.py quantize SERVED_DIR OUT_DIR [--kind int8|bf16|fp16]
    import argparse
    ap = argparse.ArgumentParser(description="served Llama-family folder -> Hugging Face snapshot layout (export-hf), "
                                             "its model.pt re-scripted with the current graph (upgrade), or a copy "
                                             "with int8 linear layers and LM head (quantize)")
    ap.add_argument("cmd", choices=["export-hf", "upgrade", "quantize"])
    ap.add_argument("served_dir")
    ap.add_argument("out_dir", nargs="?")
    ap.add_argument("--kind", choices=["int8", "bf16", "fp16"], default="int8", help="quantize: the weights' kind")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.cmd == "upgrade":
        d = upgrade_served_folder(a.served_dir)
        print(f"upgraded {a.served_dir}/model.pt (logits vs the old archive: max |diff| {d:.2e})", file=sys.stderr)
    else:
        if not a.out_dir:
            ap.error(f"{a.cmd} needs OUT_DIR")
        if a.cmd == "quantize":
            quantize_served_folder(a.served_dir, a.out_dir, a.kind)
        else:
            served_to_snapshot(a.served_dir, a.out_dir)

"""Merge a LoRA adapter into its base model: a plain served folder, for users who serve one adapter only.

    /usr/bin/python3 models/tools/merge_lora.py --base MODEL_FOLDER (--peft PEFT_FOLDER | --adapter CONVERTED)
        --out OUT_FOLDER

MODEL_FOLDER is a served GPT-2 or Llama-family folder (model.pt and its files); the adapter is a Hugging Face
PEFT folder (validated as convert_lora.py does) or a folder convert_lora.py wrote. OUT_FOLDER gets model.pt with
every target weight W replaced by W + B @ A * scaling (PEFT's merge_and_unload), scripted with the current serving
graph in the base archive's dtype, the base's other top-level files (config, tokenizer, serving.properties; not
its README.md, heldout.txt or adapters/) and a README.md saying what was merged. Faults print one line,
``merge_lora.py: error: ...``, and exit with status 2.
"""
import argparse
import copy
import os
import shutil
import sys
from typing import Dict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slmtorch import gpt2, llama, peft_lora  # noqa: E402

SKIPPED = ("model.pt", "README.md", "heldout.txt")


def _dtype_name(dt: torch.dtype) -> str:
    return {torch.float16: "float16", torch.bfloat16: "bfloat16"}.get(dt, "float32")


def eager_from_archive(base_dir: str, archive):
    """(eager model in the training layout, family module, dtype name) holding the archive's weights."""
    fam = peft_lora.family_of(base_dir)
    if fam.model_type == "gpt2":
        import convert_gpt2
        model, _ = convert_gpt2.model_from_archive(archive, base_dir)
        return model, gpt2, _dtype_name(archive.transformer.wte.weight.dtype)
    from families import llama_family
    model, _, dtype = llama_family.model_from_archive(archive, base_dir)
    return model, llama, dtype


def target_module(model, layer: int, target: str):
    if isinstance(model, gpt2.GPT2LMHeadModel):
        blk = model.transformer.h[layer]
        return {"c_attn": blk.attn.c_attn, "c_proj": blk.attn.c_proj, "c_fc": blk.mlp.c_fc,
                "mlp_c_proj": blk.mlp.c_proj}[target]
    lay = model.model.layers[layer]
    return getattr(lay.self_attn if target in ("q_proj", "k_proj", "v_proj", "o_proj") else lay.mlp, target)


@torch.no_grad()
def merge_into(model, tensors: Dict[str, torch.Tensor]) -> None:
    """W += B[l] @ A[l] (scaling already in B) for every converted target and layer; GPT-2's Conv1D is [in, out]."""
    for key, a in tensors.items():
        if not key.endswith(".a"):
            continue
        target = key[:-2]
        b = tensors[target + ".b"]
        for layer in range(a.shape[0]):
            mod = target_module(model, layer, target)
            delta = b[layer] @ a[layer]
            mod.weight += delta.t() if isinstance(mod, gpt2.Conv1D) else delta


def merge(base_dir: str, out_dir: str, peft_dir: str = "", adapter_dir: str = "") -> float:
    """Writes OUT; returns max |merged logits_all - base logits_all_lora| on a probe (a check, not a tolerance)."""
    if peft_dir:
        _, tensors, _ = peft_lora.read_peft(base_dir, peft_dir)
        src = peft_dir
    else:
        if not os.path.isfile(os.path.join(adapter_dir, "lora.json")):
            raise peft_lora.LoraError(f"missing file {os.path.join(adapter_dir, 'lora.json')} (not a converted folder: "
                                      "pass a PEFT folder with --peft)")
        _, tensors = peft_lora.read_converted(adapter_dir)
        src = adapter_dir
    path = os.path.join(base_dir, "model.pt")
    if not os.path.isfile(path):
        raise peft_lora.LoraError(f"missing file {path}")
    archive = torch.jit.load(path, map_location="cpu")
    model, family, dtype = eager_from_archive(base_dir, archive)
    base = copy.deepcopy(model)
    merge_into(model, tensors)
    os.makedirs(out_dir, exist_ok=True)
    scripted = family.script_for_serving(copy.deepcopy(model))
    # check: the merged graph against the base's per-row LoRA path on the same adapter, fp32
    ref = family.script_for_serving(base)
    stacks = peft_lora.stacks_for(ref.lora_targets(), ref.lora_target_shapes(), model.cfg_n_layer, [tensors])
    ids = torch.randint(0, model.cfg_vocab_size, (1, 12), generator=torch.Generator().manual_seed(0))
    err = float((scripted.logits_all(ids) - ref.logits_all_lora(ids, torch.tensor([1]), stacks)).abs().max())
    if dtype != "float32":
        scripted.cast(dtype)
    scripted.save(os.path.join(out_dir, "model.pt"))
    for name in sorted(os.listdir(base_dir)):
        p = os.path.join(base_dir, name)
        if os.path.isfile(p) and name not in SKIPPED:
            shutil.copyfile(p, os.path.join(out_dir, name))
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write(f"# {os.path.basename(os.path.normpath(out_dir))}\n\n"
                f"`{os.path.basename(os.path.normpath(base_dir))}` with the LoRA adapter `{src}` merged into its weights "
                f"(W + B @ A * scaling) by `models/tools/merge_lora.py`. Weights' origin, licence and data: the base "
                "model's card and the adapter's card. Quality: see the adapter's card (the merged model computes "
                f"what the base computes with the adapter; max |logit diff| {err:.1e} on a probe).\n")
    return err


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="merge_lora.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--peft", default="", help="Hugging Face PEFT adapter folder")
    g.add_argument("--adapter", default="", help="folder written by convert_lora.py")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    try:
        err = merge(args.base, args.out, args.peft, args.adapter)
    except (peft_lora.LoraError, ValueError, KeyError, OSError, RuntimeError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"merge_lora.py: error: {' '.join(str(msg).split())}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} (merged vs per-row LoRA logits: max |diff| {err:.2e})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

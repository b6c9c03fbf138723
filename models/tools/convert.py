"""One converter for every family: a Hugging Face snapshot folder -> a served slm-serve model folder.

    /usr/bin/python3 models/tools/convert.py SNAPSHOT_DIR OUT_DIR [--dtype float32|float16|bfloat16] [--name ID]
        [--quantize int8|bf16|fp16 | --fp16-weights]
        [--max-total-tokens N] [--batch-size N]

``--quantize int8``: decoders (gpt2 and the Llama family): every linear layer and the LM head become int8 per
output channel run by the server's int8 kernel (slmtorch/qlinear.py, QLinear), about a quarter of the fp32 bytes per
decode step. Encoders (bert, roberta, xlm-roberta, distilbert): matrices int8 with a scale per 32 inputs and the
word embeddings int8, dequantized once at load (encoder_int8.py): a quarter of the fp32 file, fp32 speed. BART
and T5 refuse it.

``--quantize bf16`` / ``--quantize fp16``: decoders: every linear layer and the LM head hold 16-bit weights run by
the server's slm::half_linear (slmtorch/halflinear.py), which widens them to float32 in registers: half the fp32
bytes per decode step, activations and sums in float32, and the norm, gate, bias and residual around each product
folded into it as the int8 kernel does. bf16 keeps a bf16 checkpoint exactly; fp16 suits an fp32 one (GPT-2).
Encoders, BART and T5 refuse it (their half-precision archives: ``--dtype``).

``--fp16-weights``: decoders store their weights in fp16 and are served in float32 (option.dtype=float32); on the
CPU the engine packs every linear layer and a tied LM head for FBGEMM's fp16-weight GEMM, which widens the weights
inside the kernel: the float32 products of the stored weights at half the bytes per decode step
(slmtorch/fp16weights.py, slm.engine.fp16-weight-gemm).

Dispatches on config.json's model_type through FAMILIES (model_type -> module under models/tools/families/
with ``convert(snapshot_dir, out_dir, args)``); adding a family is one entry there. Weights are read from
model.safetensors, a sharded model.safetensors.index.json, or pytorch_model.bin (weights_only loading only),
F32/F16/BF16, one tensor at a time where the family allows (families/snapshot.py). Errors (unsupported
model_type, missing tensor, a shape contradicting config.json, a truncated safetensors file, ...) print one
line, ``convert.py: error: ...``, and exit with status 2.
"""
import argparse
import importlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# model_type -> family module (models/tools/families/<module>.py, exposing convert(snapshot_dir, out_dir, args))
FAMILIES = {
    "gpt2": "families.gpt2_family",
    "bart": "families.bart_family",
    "bert": "families.bert_family",
    "roberta": "families.encoder_family",
    "xlm-roberta": "families.encoder_family",
    "distilbert": "families.encoder_family",
    "llama": "families.llama_family",
    "mistral": "families.llama_family",
    "qwen2": "families.llama_family",
    "qwen3": "families.llama_family",
    "phi3": "families.llama_family",
    "gemma": "families.llama_family",
    "gemma2": "families.llama_family",
    "gemma3_text": "families.llama_family",
    "t5": "families.t5_family",
}


def family_for(model_type) -> str:
    if model_type not in FAMILIES:
        raise ValueError(f"unsupported model_type {model_type!r}; supported: {', '.join(sorted(FAMILIES))}")
    return FAMILIES[model_type]


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="convert.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("snapshot_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float16", "bfloat16"),
                    help="weights of the archive and option.dtype of serving.properties")
    ap.add_argument("--fp16-weights", action="store_true",
                    help="decoders (gpt2 and the Llama family): store the weights in fp16 and serve them in float32; "
                         "on the CPU the server then runs the linear layers and a tied LM head through FBGEMM's "
                         "fp16-weight GEMM (half the bytes per decode step; slmtorch/fp16weights.py). Exact for "
                         "bf16 checkpoints (values of magnitude >= 2^-17), a rounding for fp32 ones")
    ap.add_argument("--quantize", choices=("int8", "bf16", "fp16"), default=None,
                    help="decoders (gpt2, Llama family): linear layers and LM head int8 per output channel, "
                         "activations rounded per row to 7 bits at run time (slmtorch/qlinear.py; CPU only: the "
                         "server's slm::int8_linear), or bf16 / fp16 weights with float32 activations "
                         "(slmtorch/halflinear.py; CPU only: slm::half_linear); embeddings and norms stay in --dtype. Encoders (bert, roberta, xlm-roberta, "
                         "distilbert): int8 matrices (a scale per 32 inputs) and word embeddings, dequantized at "
                         "load (encoder_int8.py)")
    ap.add_argument("--name", default="", help="model id for messages (default: OUT_DIR's name)")
    ap.add_argument("--max-total-tokens", type=int, default=0,
                    help="cap on max_total_tokens (default: max_position_embeddings)")
    ap.add_argument("--batch-size", type=int, default=16, help="concurrent sequences (KV-cache slots)")
    ap.add_argument("--threads", type=int, default=1)
    return ap


def convert(snapshot_dir: str, out_dir: str, args) -> None:
    cfg_path = os.path.join(snapshot_dir, "config.json")
    if not os.path.isfile(cfg_path):
        raise FileNotFoundError(f"{snapshot_dir}: no config.json")
    with open(cfg_path, encoding="utf-8") as f:
        model_type = json.load(f).get("model_type")
    family = family_for(model_type)
    if getattr(args, "fp16_weights", False):
        if family not in ("families.gpt2_family", "families.llama_family"):
            raise ValueError(f"--fp16-weights is for decoders (gpt2 and the Llama family), not {model_type}")
        if getattr(args, "quantize", None) or args.dtype != "float32":
            raise ValueError("--fp16-weights serves in float32: it takes neither --quantize nor --dtype")
    if getattr(args, "quantize", None) in ("bf16", "fp16") and family not in ("families.gpt2_family",
                                                                          "families.llama_family"):
        raise ValueError(f"--quantize {args.quantize} is for decoders (gpt2 and the Llama family), not {model_type}; "
                         "an encoder's bf16 or fp16 archive: --dtype")
    if getattr(args, "quantize", None) and family in ("families.bart_family", "families.t5_family"):
        raise ValueError(f"--quantize {args.quantize} is for decoders (gpt2 and the Llama family) and encoders "
                         f"(bert, roberta, xlm-roberta, distilbert), not {model_type}")
    module = importlib.import_module(family)
    module.convert(snapshot_dir, out_dir, args)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    try:
        convert(args.snapshot_dir, args.out_dir, args)
    except (ValueError, KeyError, OSError, AssertionError, SystemExit) as e:
        if isinstance(e, SystemExit) and not isinstance(e.code, str):
            raise
        msg = e.args[0] if isinstance(e, KeyError) and e.args else (e.code if isinstance(e, SystemExit) else str(e))
        print(f"convert.py: error: {' '.join(str(msg).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

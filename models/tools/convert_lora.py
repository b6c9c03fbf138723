"""A Hugging Face PEFT LoRA folder -> the converted adapter folder slm-serve loads beside its base model.

    /usr/bin/python3 models/tools/convert_lora.py --base MODEL_FOLDER --peft PEFT_FOLDER --out OUT_FOLDER

Validates the PEFT folder (adapter_config.json + adapter_model.safetensors) against the base folder's
config.json (GPT-2 or a Llama-family decoder) and writes OUT_FOLDER/adapter_config.json (copied),
lora.safetensors ({target}.a [L, r, in], {target}.b [L, out, r], float32, PEFT scaling folded into .b) and
lora.json; see docs/model-format-decoder.md. Put OUT_FOLDER under the base folder's adapters/NAME/ to serve it
from the start. A fault (missing file, rank mismatch, unknown target module, modules_to_save, bias, peft_type,
...) prints one line, ``convert_lora.py: error: ...``, and exits with status 2.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="convert_lora.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="the served base model folder (its config.json)")
    ap.add_argument("--peft", required=True, help="PEFT adapter folder")
    ap.add_argument("--out", required=True, help="converted adapter folder to write")
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from slmtorch import peft_lora
    try:
        config, tensors, fam = peft_lora.read_peft(args.base, args.peft)
        meta = peft_lora.write_converted(args.peft, args.out, config, tensors, fam)
    except (peft_lora.LoraError, ValueError, KeyError, OSError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"convert_lora.py: error: {' '.join(str(msg).split())}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: rank {meta['rank']}, targets {', '.join(meta['targets'])}, {meta['layers']} layers",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""GPT-2 snapshots -> served folder (slmtorch/gpt2.py; the folder writer of convert_gpt2.py)."""
import os

import torch

import convert_gpt2
from families import snapshot
from slmtorch import gpt2

MODEL_TYPES = ("gpt2",)


def convert(snapshot_dir: str, out_dir: str, args) -> None:
    cfg = gpt2.GPT2Config.from_hf_dict(snapshot.read_config(snapshot_dir))
    model = gpt2.build(cfg).eval()
    gpt2.load_hf_state_dict(model, dict(snapshot.iter_tensors(snapshot_dir, torch.float32)))
    name = args.name or os.path.basename(os.path.normpath(out_dir))
    readme = (f"# {name}\n\nConverted from the Hugging Face GPT-2 snapshot `{snapshot_dir}` by "
              "`models/tools/convert.py`. See the source model card for licence and data.\n")
    convert_gpt2.write_served_folder(model, cfg, os.path.join(snapshot_dir, "tokenizer.json"), out_dir,
                                     model_name=name, readme=readme, batch_size=args.batch_size,
                                     quantize=getattr(args, "quantize", None),
                                     archive_dtype="float16" if getattr(args, "fp16_weights", False) else "float32")
    snapshot.copy_tokenizer_files(snapshot_dir, out_dir, ("special_tokens_map.json", "generation_config.json",
                                                          "chat_template.jinja", "tokenizer.json"))
    max_total = min(cfg.n_positions, args.max_total_tokens or cfg.n_positions)
    snapshot.write_serving_properties(out_dir, "text-generation", args.dtype, args.batch_size, max_total)

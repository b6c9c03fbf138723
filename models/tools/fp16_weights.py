"""A served decoder folder -> a copy whose archive stores its weights in fp16, served in float32.

    /usr/bin/python3 models/tools/fp16_weights.py SERVED_DIR OUT_DIR

What ``convert.py --fp16-weights`` writes from a snapshot, for a folder that is already served (e.g. the bundled
nano-gpt and nano-llama, after ``upgrade`` has given their archives ``pack_fp16_weights``): the archive's own
``cast("float16")`` rounds every floating weight, the archive is saved again, the other files are copied and
serving.properties says option.dtype=float32, so that on the CPU the server packs the layers for FBGEMM's
fp16-weight GEMM (slmtorch/fp16weights.py). Refuses an archive without ``pack_fp16_weights`` (re-script it first:
convert_gpt2.py upgrade / families/llama_family.py upgrade) and one that is not float32.
"""
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slmtorch import kernels, onednn, sdpa  # noqa: E402,F401  (the ops served archives record)


def fp16_copy(src: str, out: str) -> None:
    archive = torch.jit.load(os.path.join(src, "model.pt"), map_location="cpu")
    if not hasattr(archive, "pack_fp16_weights"):
        raise ValueError(f"{src}/model.pt has no pack_fp16_weights(): re-script it with the current converter "
                         "(convert_gpt2.py upgrade --dir DIR, families/llama_family.py upgrade DIR)")
    dtypes = {v.dtype for v in archive.state_dict().values() if v.is_floating_point()}
    if dtypes != {torch.float32}:
        raise ValueError(f"{src}/model.pt holds {sorted(str(d) for d in dtypes)} weights; expected float32")
    archive.cast("float16")
    os.makedirs(out, exist_ok=True)
    archive.save(os.path.join(out, "model.pt"))
    for name in os.listdir(src):
        path = os.path.join(src, name)
        if name in ("model.pt", "serving.properties", "README.md") or not os.path.isfile(path):
            continue
        shutil.copyfile(path, os.path.join(out, name))
    with open(os.path.join(src, "serving.properties"), encoding="utf-8") as f:
        lines = [ln for ln in f.read().splitlines() if not ln.startswith("option.dtype=")]
    with open(os.path.join(out, "serving.properties"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines + ["option.dtype=float32"]) + "\n")
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(f"# {os.path.basename(os.path.normpath(out))}\n\nThe weights of `{src}` rounded to fp16 and served in "
                "float32 (FBGEMM's fp16-weight GEMM on the CPU), written by `models/tools/fp16_weights.py`. "
                "Licence and data: the source's card.\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    try:
        fp16_copy(sys.argv[1], sys.argv[2])
    except (ValueError, OSError) as e:
        print(f"fp16_weights.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"wrote {sys.argv[2]}", file=sys.stderr)

"""Random LoRA adapters for the Java tests, written at test time (nothing random is committed).

    /usr/bin/python3 models/tools/lora_java_fixtures.py --base MODEL_FOLDER --out DIR --name NAME[,NAME...]
        [--rank 8[,4...]] [--alpha 16] [--seed 0] [--std 0.3] [--targets c_attn,c_fc] [--only NAME=c_attn]
        [--merge NAME[,NAME...]]

For each NAME (the i-th with seed + i and the i-th rank, or the last one given) writes DIR/NAME-peft (a Hugging Face PEFT folder with PEFT's tensor names, random A and B), converts it with
convert_lora.py into DIR/NAME (what the server loads), and with --merge writes DIR/NAME-merged, the base with the
adapter merged into its weights by merge_lora.py: the independent reference the Java tests compare the server's
per-row LoRA path against.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "tests"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="lora_java_fixtures.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--rank", default="8")
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--std", type=float, default=0.3)
    ap.add_argument("--targets", default="c_attn,c_proj,c_fc")
    ap.add_argument("--only", action="append", default=[], help="NAME=t1,t2: other target modules for NAME")
    ap.add_argument("--merge", default="", help="names to merge into the base as DIR/NAME-merged")
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    import convert_lora
    import merge_lora
    from lora_testkit import random_peft
    ranks = [int(r) for r in args.rank.split(",")]
    only = dict(o.split("=", 1) for o in args.only)
    merge = set(filter(None, args.merge.split(",")))
    for i, name in enumerate(args.name.split(",")):
        peft = os.path.join(args.out, name + "-peft")
        converted = os.path.join(args.out, name)
        random_peft(args.base, peft, only.get(name, args.targets).split(","), r=ranks[min(i, len(ranks) - 1)],
                    alpha=args.alpha, seed=args.seed + i, std=args.std)
        if convert_lora.main(["--base", args.base, "--peft", peft, "--out", converted]) != 0:
            return 2
        if name in merge and merge_lora.main(["--base", args.base, "--adapter", converted,
                                              "--out", converted + "-merged"]) != 0:
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Writes random-weight Llama-family snapshots and converts them into served folders, for the Java tests
(one Python process for several shapes, so torch is imported once):

    /usr/bin/python3 models/tools/tiny_llama_folders.py ROOT [--std 0.25] [--max-total-tokens 128] SHAPE...

ROOT/SHAPE-hf is the snapshot (slmtorch/random_snapshot.py), ROOT/SHAPE the served folder (convert.py).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert  # noqa: E402
from slmtorch import random_snapshot  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root")
    ap.add_argument("shapes", nargs="+")
    ap.add_argument("--std", type=float, default=0.0,
                    help="weights' std (default 0.25; 0.05 for gemma2/gemma3, whose sandwich norms saturate sooner)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-total-tokens", default="128")
    ap.add_argument("--batch-size", default="4")
    args = ap.parse_args()
    for shape in args.shapes:
        snap = os.path.join(args.root, shape + "-hf")
        std = args.std or (0.05 if shape in ("gemma2-tiny", "gemma3-tiny") else 0.25)
        random_snapshot.write_snapshot(shape, snap, seed=args.seed, std=std)
        rc = convert.main([snap, os.path.join(args.root, shape), "--max-total-tokens", args.max_total_tokens,
                           "--batch-size", args.batch_size])
        if rc:
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""T5 / T5 v1.1 / Flan-T5 snapshots -> served folder (slmtorch/t5.py; the reader and folder writer of
convert_t5.py). --max-total-tokens splits like BART's family: two thirds source, the rest generated."""
import convert_t5

MODEL_TYPES = ("t5",)


def convert(snapshot_dir: str, out_dir: str, args) -> None:
    max_in, max_new = 0, 0  # convert_t5's defaults: 512 source tokens, 256 new
    if args.max_total_tokens:
        max_in = max(1, (args.max_total_tokens * 2) // 3)
        max_new = max(1, args.max_total_tokens - max_in)
    convert_t5.convert(snapshot_dir, out_dir, batch_size=args.batch_size, max_input_tokens=max_in,
                       max_new_tokens=max_new, dtype=args.dtype, name=args.name)

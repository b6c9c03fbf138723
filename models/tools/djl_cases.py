"""Writes DjlCheck cases for a served encoder folder: Python reference outputs of the weights as stored.

    /usr/bin/python3 models/tools/djl_cases.py models/nano-bert-mlm /tmp/cases.json
    bash models/tools/run-djl-check.sh run models/nano-bert-mlm /tmp/cases.json

The reference is the eager module rebuilt from model.pt (fp16-stored matrices as fp32, math attention), so
the comparison isolates the engine (libtorch 2.7.1 fused SDPA through DJL) from the fp16 storage.
Texts come from heldout.jsonl when the folder has one: a padded batch of 8 and two single rows.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import hf_bert  # noqa: E402
from slmtorch.wordpiece import WordPieceTokenizer  # noqa: E402

DEFAULT_TEXTS = ["Hello world", "In the beginning God created the heaven and the earth.",
                 "The quick brown fox jumps over the lazy dog, twice!", "short"] * 2


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    model, cfg, _ = hf_bert.served_to_module(model_dir)
    tok = WordPieceTokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    held = os.path.join(model_dir, "heldout.jsonl")
    texts = DEFAULT_TEXTS
    if os.path.exists(held):
        with open(held, encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f][:8]
    cases = []
    for name, batch in (("single0", texts[:1]), ("single1", texts[1:2]), ("padded", texts)):
        ids, mask = tok.batch(batch)
        i, m = torch.tensor(ids), torch.tensor(mask)
        with torch.no_grad():
            y = model(i, m, torch.zeros_like(i))
        cases.append({"name": name, "input_ids": ids, "attention_mask": mask, "expected": y.reshape(-1).tolist()})
    with open(out, "w") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main()

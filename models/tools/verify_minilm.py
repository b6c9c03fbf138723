"""Parity check for models/all-minilm-l6-v2.

1. The torch fp32 eager model (weights from the ONNX) vs the original ONNX graph run by an independent
   NumPy interpreter (slmtorch.onnx_numpy): mean pooled + L2-normalised embeddings, cosine per sentence,
   on single sentences (no padding: unmasked attention) and one padded batch (additive mask).
2. The served form (2-D weights stored fp16, scripted, cast("float32")) vs the fp32 eager model.
3. cast("float16") / cast("bfloat16") change every floating parameter's dtype.
Writes reference embeddings to --dump (JSON) for engine-side checks.

Usage: /usr/bin/python3 models/tools/verify_minilm.py --onnx X/all-minilm-l6-v2.onnx --model-dir models/all-minilm-l6-v2
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

import convert_minilm  # noqa: E402
from slmtorch import bert, onnx_numpy  # noqa: E402
from slmtorch.wordpiece import WordPieceTokenizer  # noqa: E402

SENTENCES = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "A Quarkus server answers embedding requests through DJL and libtorch.",
    "Ünïcödé accents, punctuation!? and numbers 12345 are normalised",
    "short",
    "In the beginning God created the heaven and the earth. And the earth was without form, and void; "
    "and darkness was upon the face of the deep.",
    "東京 is a city; naïve café résumé",
    "What is the capital of France? Paris is the capital and most populous city of France.",
]


def pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[..., None].astype(np.float64)
    v = (hidden.astype(np.float64) * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def torch_hidden(model, ids, mask):
    with torch.no_grad():
        i = torch.tensor(ids, dtype=torch.long)
        m = torch.tensor(mask, dtype=torch.long)
        return model(i, m, torch.zeros_like(i)).float().numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--model-dir", default="models/all-minilm-l6-v2")
    ap.add_argument("--dump", default=None, help="write reference embeddings (JSON)")
    ap.add_argument("--cases", default=None, help="write DjlCheck cases (last_hidden_state, JSON)")
    args = ap.parse_args()
    torch.set_num_threads(1)

    tok = WordPieceTokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    graph = onnx.load(args.onnx)
    eager, cfg = convert_minilm.build_eager(args.onnx)
    served, _ = convert_minilm.build_eager(args.onnx)
    bert.half_matrices(served)
    served = torch.jit.script(served.eval())
    served.cast("float32")
    dtypes = {str(p.dtype) for _, p in served.named_parameters()}
    assert dtypes == {"torch.float32"}, dtypes

    cases = [([s], "single") for s in SENTENCES] + [(SENTENCES, "padded batch")]
    min_onnx, min_half, max_abs = 1.0, 1.0, 0.0
    dump = []
    for texts, kind in cases:
        ids, mask = tok.batch(texts)
        ids_np, mask_np = np.array(ids, dtype=np.int64), np.array(mask, dtype=np.int64)
        ref = onnx_numpy.run(graph, {"input_ids": ids_np, "attention_mask": mask_np,
                                     "token_type_ids": np.zeros_like(ids_np)})["last_hidden_state"]
        h32 = torch_hidden(eager, ids, mask)
        h16 = torch_hidden(served, ids, mask)
        valid = mask_np.astype(bool)
        max_abs = max(max_abs, float(np.abs(h32 - ref)[valid].max()))
        c1 = cosines(pool(h32, mask_np), pool(ref, mask_np))
        c2 = cosines(pool(h16, mask_np), pool(h32, mask_np))
        min_onnx, min_half = min(min_onnx, c1.min()), min(min_half, c2.min())
        print("%-13s T=%3d  cos(torch fp32, onnx)=%s  cos(fp16-stored, fp32)=%s" % (
            kind, ids_np.shape[1], np.array2string(c1, precision=9), np.array2string(c2, precision=7)))
        if kind == "single":
            dump.append({"text": texts[0], "input_ids": ids[0],
                         "embedding": pool(h32, mask_np)[0].tolist()})
    # the masked path must equal the unpadded path for each row
    ids, mask = tok.batch(SENTENCES)
    hb = pool(torch_hidden(eager, ids, mask), np.array(mask))
    hs = np.stack([pool(torch_hidden(eager, [tok.encode(s)], [[1] * len(tok.encode(s))]),
                        np.ones((1, len(tok.encode(s)))))[0] for s in SENTENCES])
    min_pad = cosines(hb, hs).min()

    for dt, want in (("float16", torch.float16), ("bfloat16", torch.bfloat16), ("float32", torch.float32)):
        served.cast(dt)
        got = {p.dtype for _, p in served.named_parameters()}
        assert got == {want}, (dt, got)
    print("cast: float16, bfloat16, float32 change every parameter's dtype: OK")
    print("RESULT min cosine torch-fp32 vs ONNX (NumPy interpreter): %.12f (max abs diff %.2e)" % (min_onnx, max_abs))
    print("RESULT min cosine fp16-stored+cast(float32) vs fp32 eager: %.9f" % min_half)
    print("RESULT min cosine padded batch vs one-by-one: %.12f" % min_pad)
    ok = min_onnx >= 0.9999 and min_half >= 0.9999 and min_pad >= 0.9999
    if args.cases:
        cases_out = []
        for texts, kind in cases:
            ids, mask = tok.batch(texts)
            cases_out.append({"name": kind + ":" + texts[0][:20], "input_ids": ids, "attention_mask": mask,
                              "expected": torch_hidden(eager, ids, mask).reshape(-1).tolist()})
        with open(args.cases, "w") as f:
            json.dump(cases_out, f)
    if args.dump:
        with open(args.dump, "w") as f:
            json.dump(dump, f)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

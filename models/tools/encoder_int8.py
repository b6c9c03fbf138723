"""Encoder archives with int8 weights (``--quantize int8`` of convert.py, hf_bert.py and convert_minilm.py for
BERT, RoBERTa, XLM-RoBERTa and DistilBERT models; slmtorch/qlinear.py, Int8StoredLinear): matrices int8 with an
fp16 scale per 32 inputs of each row, the word-embedding table int8 per row, everything else as in the fp16-stored
archive. ``cast(dtype)``, which the server calls once after load, dequantizes them into float weights, so an
int8 archive runs at its float twin's speed in a quarter of the fp32 weight bytes (all-MiniLM-L6-v2: 23 MB).

A served encoder folder -> the same folder with an int8 model.pt (every other file copied, a card added):

    /usr/bin/python3 models/tools/encoder_int8.py models/all-minilm-l6-v2 /tmp/all-minilm-l6-v2-int8
"""
import copy
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from slmtorch import export, qlinear  # noqa: E402


def save_int8(model: torch.nn.Module, path: str) -> float:
    """Writes ``model`` (an fp32 eager encoder, left unchanged) to ``path`` with int8 weights; checks that the
    archive, cast to float32, reproduces the eager int8 model, and returns the worst cosine of its output rows
    against the fp32 model on a fixed random batch (one with padding)."""
    export.save_torchscript(qlinear.quantize_encoder(copy.deepcopy(model).eval()), path, half=True)
    int8 = qlinear.round_like_int8_encoder(copy.deepcopy(model).eval())
    loaded = torch.jit.load(path)
    loaded.cast("float32")
    g = torch.Generator().manual_seed(0)
    vocab = next(m.weight.shape[0] for n, m in model.named_modules() if n.endswith("word_embeddings"))
    ids = torch.randint(5, vocab, (2, 24), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 16:] = 0
    types = torch.zeros_like(ids)
    with torch.no_grad():
        want, got, ref = int8(ids, mask, types), loaded(ids, mask, types), model(ids, mask, types)
    if not torch.allclose(got, want, rtol=1e-4, atol=1e-4):
        raise AssertionError("int8 archive differs from the eager int8 model: max |diff| %.3g"
                             % float((got - want).abs().max()))
    return float(torch.nn.functional.cosine_similarity(got.reshape(2, -1), ref.reshape(2, -1), dim=1).min())


def quantize_served_folder(src: str, out: str) -> float:
    """Copies the served encoder folder ``src`` to ``out`` with an int8 model.pt and a card naming its source;
    returns save_int8's cosine."""
    import hf_bert
    model, _, archive = hf_bert.served_to_module(src)
    if any(name.endswith("qweight") for name, _ in archive.named_buffers()):
        raise ValueError(f"{src}: already int8")
    if os.path.abspath(src) == os.path.abspath(out):
        raise ValueError("OUT_DIR must differ from the source folder")
    shutil.copytree(src, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns("model.pt", "README.md"))
    cos = save_int8(model, os.path.join(out, "model.pt"))
    name = os.path.basename(os.path.normpath(out))
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(f"# {name}\n\nThe weights of `{src}` with int8 matrices (an fp16 scale per 32 inputs) and an int8 "
                "word-embedding table, written by `models/tools/encoder_int8.py`. Licence, data and measured "
                "quality of the float model: the source's card.\n")
    return cos


def main(argv=None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("served_dir")
    ap.add_argument("out_dir")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    cos = quantize_served_folder(a.served_dir, a.out_dir)
    pt = os.path.join(a.out_dir, "model.pt")
    print("wrote %s (%.1f MB); outputs vs fp32 on random ids: min cosine %.6f" % (pt, export.size_mb(pt), cos))
    return 0


if __name__ == "__main__":
    sys.exit(main())

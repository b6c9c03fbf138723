"""BERT snapshots and written-out reference formulas for the comparison with Jlama 0.8.4 (JlamaBertParityTest).

    # a random BERT snapshot (every tensor random, LayerNorm weights around 1, matrices fp16-representable as
    # the served archive stores them), nano-bert-mlm's tokenizer
    /usr/bin/python3 models/tools/jlama_bert_reference.py random --out DIR [--layers 2 --hidden 64 --heads 4]
    # a served BERT folder's weights (e.g. models/all-minilm-l6-v2), optionally its first --layers layers
    /usr/bin/python3 models/tools/jlama_bert_reference.py from-served --dir models/all-minilm-l6-v2 --out DIR
    # last_hidden_state of sequences (token types 0, ';' between them) by both formulas below, as JSON
    # {"hf": [sequence][position][hidden], "jlama": ...}
    /usr/bin/python3 models/tools/jlama_bert_reference.py states --snapshot DIR --ids "2,57,912,3;2,88,3"

Jlama 0.8.4's BertModel (model/bert/BertModel.java, model/TransformerBlock.java,
model/CausalSelfAttention.java, math/ActivationFunction.java at tag v0.8.4) does not compute what
transformers' BertModel computes; it differs in four places:

1. attention is causal: each position attends to positions 0..itself (CausalSelfAttention's softmax runs
   over 0..position), where BERT attends to the whole sequence;
2. query and key are swapped: BertModel passes (key, query, value) biases and weights to a constructor that
   takes (query, key, value), so position i scores key.i . query.j (causal and swapped, this is not the
   transpose of BERT's scores);
3. the feed-forward residual is the attention sum before its norm: BertModel hands the attention LayerNorm to
   TransformerBlock as its pre-feed-forward norm and the output LayerNorm as its final norm, so
   h = x + attention(x), out = LayerNorm_out(h + mlp(LayerNorm_att(h))), where BERT computes
   h' = LayerNorm_att(x + attention(x)), out = LayerNorm_out(h' + mlp(h'));
4. GELU is the tanh approximation (ActivationFunction.GELU), where BERT's "gelu" is the exact erf form.

(Its token types are always 0, and its MODEL pooling applies the pooler to the last position, not [CLS].)
So Jlama's output is compared with the formulas below with those four switches set (``jlama``), which are
otherwise transformers' modeling_bert.py written out with plain tensor operations (``hf``); our served archive
is compared with ``hf``. Both read the snapshot's tensors directly, not through slmtorch.bert. That Jlama
matches ``jlama`` shows it reads the same weights, embeddings and norms from the snapshot we convert.
"""
import argparse
import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_bert  # noqa: E402
from slmtorch import bert, export, safetensors_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER_DIR = os.path.join(ROOT, "models", "nano-bert-mlm")


def write(sd: dict, cfg: dict, tokenizer_dir: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    safetensors_io.save({k: v.detach().float().contiguous() for k, v in sd.items()},
                        os.path.join(out, "model.safetensors"), {"format": "pt"})
    export.write_json(os.path.join(out, "config.json"), cfg)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(tokenizer_dir, name), os.path.join(out, name))


@torch.no_grad()
def random_snapshot(out: str, layers: int, hidden: int, heads: int, seed: int, std: float) -> None:
    with open(os.path.join(TOKENIZER_DIR, "tokenizer.json"), encoding="utf-8") as f:
        vocab = len(json.load(f)["model"]["vocab"])
    cfg = bert.make_config(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                           intermediate_size=4 * hidden, max_position_embeddings=128)
    model = bert.build(cfg)
    g = torch.Generator().manual_seed(seed)
    for name, p in model.state_dict().items():
        base = 1.0 if name.endswith("LayerNorm.weight") else 0.0
        p.copy_(base + std * torch.randn(p.shape, generator=g))
        if p.dim() == 2:
            p.copy_(p.half().float())  # the served archive stores matrices as fp16: the same weights on both sides
    write(model.state_dict(), cfg, TOKENIZER_DIR, out)


def from_served(model_dir: str, out: str, layers: int) -> None:
    model, cfg, _ = hf_bert.served_to_module(model_dir)
    if cfg["architectures"][0] != "BertModel":
        raise SystemExit("from-served takes a BertModel (text-embedding) folder")
    cfg = {k: v for k, v in cfg.items() if k != "_name_or_path"}
    if layers:
        cfg["num_hidden_layers"] = layers
    keep = {k: v for k, v in model.state_dict().items()
            if not k.startswith("encoder.layer.") or int(k.split(".")[2]) < cfg["num_hidden_layers"]}
    write(keep, cfg, model_dir, out)


def _gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


@torch.no_grad()
def states(snapshot: str, ids: list, jlama: bool) -> torch.Tensor:
    """last_hidden_state [T, H] of one unpadded sequence, token types 0, float64."""
    with open(os.path.join(snapshot, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    w = {k[len("bert."):] if k.startswith("bert.") else k: v.double()
         for k, v in safetensors_io.load(os.path.join(snapshot, "model.safetensors")).items()}
    eps, h, nh = cfg["layer_norm_eps"], cfg["hidden_size"], cfg["num_attention_heads"]
    t = len(ids)

    def ln(x, name):
        return F.layer_norm(x, [h], w[name + ".weight"], w[name + ".bias"], eps)

    def lin(x, name):
        return x @ w[name + ".weight"].T + w[name + ".bias"]

    x = w["embeddings.word_embeddings.weight"][torch.tensor(ids)] + w["embeddings.position_embeddings.weight"][:t]
    x = ln(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
    allowed = torch.tril(torch.ones(t, t, dtype=torch.bool)) if jlama else torch.ones(t, t, dtype=torch.bool)
    gelu = _gelu_tanh if jlama else F.gelu
    for i in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % i
        names = ("key", "query", "value") if jlama else ("query", "key", "value")
        q, k, v = (lin(x, p + "attention.self." + n).view(t, nh, h // nh).transpose(0, 1) for n in names)
        scores = (q @ k.transpose(1, 2)) / math.sqrt(h // nh)
        ctx = torch.softmax(scores.masked_fill(~allowed, float("-inf")), -1) @ v
        s = x + lin(ctx.transpose(0, 1).reshape(t, h), p + "attention.output.dense")
        normed = ln(s, p + "attention.output.LayerNorm")
        residual = s if jlama else normed
        x = ln(residual + lin(gelu(lin(normed, p + "intermediate.dense")), p + "output.dense"), p + "output.LayerNorm")
    return x


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("random")
    r.add_argument("--out", required=True)
    r.add_argument("--layers", type=int, default=2)
    r.add_argument("--hidden", type=int, default=64)
    r.add_argument("--heads", type=int, default=4)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--std", type=float, default=0.2)
    s = sub.add_parser("from-served")
    s.add_argument("--dir", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--layers", type=int, default=0, help="keep the first N layers (0: all)")
    st = sub.add_parser("states")
    st.add_argument("--snapshot", required=True)
    st.add_argument("--ids", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cmd == "random":
        random_snapshot(args.out, args.layers, args.hidden, args.heads, args.seed, args.std)
    elif args.cmd == "from-served":
        from_served(args.dir, args.out, args.layers)
    else:
        seqs = [[int(i) for i in seq.split(",")] for seq in args.ids.split(";")]
        print(json.dumps({"hf": [states(args.snapshot, ids, False).tolist() for ids in seqs],
                          "jlama": [states(args.snapshot, ids, True).tolist() for ids in seqs]}))


if __name__ == "__main__":
    main()

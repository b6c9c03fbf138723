"""Random-weight Hugging Face snapshots of the encoder families, for tests (Python and Java).

    /usr/bin/python3 models/tools/encoder_fixtures.py OUT NAME=FAMILY:ARCH:POOLING:LABELS ...
        # e.g. rob=roberta:RobertaModel:mean:0 -- writes OUT/NAME/snapshot, converts it to OUT/NAME/served and
        # writes OUT/NAME/reference.json: the eager reference module's outputs on fixed inputs (POOLING none:
        # no sentence-transformers files)

Weights are drawn from a seeded generator and rounded through float16, so the archive (which stores 2-D
weights as fp16) holds exactly the snapshot's values and its outputs can be compared with the eager
module's within float32 noise. The tokenizer is nano-bert-mlm's WordPiece file (vocabulary 8192): the family
test is about the network, not the tokenizer.
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import hf_bert  # noqa: E402
from slmtorch import bert, distilbert, export, roberta, safetensors_io, wordpiece  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER_DIR = os.path.join(ROOT, "models", "nano-bert-mlm")
VOCAB = 8192
MODES = {"cls": "pooling_mode_cls_token", "mean": "pooling_mode_mean_tokens", "max": "pooling_mode_max_tokens",
         "lasttoken": "pooling_mode_lasttoken"}
# fixed inputs of different lengths: [CLS] ... [SEP] ids of nano-bert-mlm's vocabulary
INPUTS = [[2, 100, 200, 300, 3], [2, 4000, 17, 3], [2, 5, 6, 7, 8, 9, 10, 11, 3]]
# (query, passage) pairs for one-label classifiers (rerankers): tokenized here, scored by the eager module
PAIRS = [("Jesus wept", "Jesus wept."), ("light", "And God said, Let there be light: and there was light."),
         ("Moses spoke", "In the beginning God created the heaven and the earth.")]


def encode_pair(tok, query: str, passage: str):
    """[CLS] query [SEP] passage [SEP] with token types 0 / 1 (BERT's pair template)."""
    q = tok.encode(query, add_special_tokens=False)
    p = tok.encode(passage, add_special_tokens=False)
    return [tok.cls_id] + q + [tok.sep_id] + p + [tok.sep_id], [0] * (len(q) + 2) + [1] * (len(p) + 1)


def config(family: str, arch: str, labels: int, dim: int, layers: int = 2) -> dict:
    extra = {}
    if labels:
        extra = {"id2label": {str(i): "LABEL_%d" % i for i in range(labels)},
                 "label2id": {"LABEL_%d" % i: i for i in range(labels)}}
    if family == "distilbert":
        return distilbert.make_config(architectures=[arch], vocab_size=VOCAB, dim=dim, n_layers=layers, n_heads=2,
                                      hidden_dim=2 * dim, max_position_embeddings=64, **extra)
    if family in ("roberta", "xlm-roberta"):
        return roberta.make_config(architectures=[arch], model_type=family, vocab_size=VOCAB, hidden_size=dim,
                                   num_hidden_layers=layers, num_attention_heads=2, intermediate_size=2 * dim,
                                   max_position_embeddings=66, **extra)
    return bert.make_config(architectures=[arch], vocab_size=VOCAB, hidden_size=dim, num_hidden_layers=layers,
                            num_attention_heads=2, intermediate_size=2 * dim, max_position_embeddings=64, **extra)


def build(cfg: dict) -> torch.nn.Module:
    if cfg["model_type"] in hf_bert.FAMILIES:
        fam = hf_bert.FAMILIES[cfg["model_type"]]
        return fam.ARCHITECTURES[cfg["architectures"][0]](cfg)
    return bert.build(cfg)


def randomise(model: torch.nn.Module, seed: int) -> None:
    """Normal(0, 0.25) matrices (large enough that every layer matters), noisy LayerNorms and biases; all values
    exactly representable in float16."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            scale = 0.25 if p.dim() == 2 else 0.1
            base = 1.0 if name.endswith("LayerNorm.weight") or "layer_norm.weight" in name else 0.0
            p.copy_((base + torch.randn(p.shape, generator=g) * scale).half().float())


def pad(rows):
    t = max(len(r) for r in rows)
    ids = torch.tensor([r + [0] * (t - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (t - len(r)) for r in rows])
    return ids, mask


def write(out: str, family: str, arch: str, pooling: str = "none", labels: int = 0, dim: int = 32,
          seed: int = 7, layers: int = 2) -> dict:
    cfg = config(family, arch, labels, dim, layers)
    model = build(cfg)
    randomise(model, seed)
    model.eval()
    snap = os.path.join(out, "snapshot")
    os.makedirs(snap, exist_ok=True)
    safetensors_io.save({k: v.detach().clone() for k, v in model.state_dict().items()},
                        os.path.join(snap, "model.safetensors"), {"format": "pt"})
    export.write_json(os.path.join(snap, "config.json"), cfg)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(TOKENIZER_DIR, name), os.path.join(snap, name))
    if pooling != "none":
        export.write_json(os.path.join(snap, "modules.json"), [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])
        os.makedirs(os.path.join(snap, "1_Pooling"), exist_ok=True)
        pc = {"word_embedding_dimension": dim}
        pc.update({m: k == pooling for k, m in MODES.items()})
        export.write_json(os.path.join(snap, "1_Pooling", "config.json"), pc)
    served = os.path.join(out, "served")
    hf_bert.convert(snap, served)
    ids, mask = pad(INPUTS)
    with torch.no_grad():
        with open(os.path.join(served, "config.json"), encoding="utf-8") as f:
            ref = build(json.load(f))
        hf_bert_sd = safetensors_io.load(os.path.join(snap, "model.safetensors"))
        ref.load_state_dict({k: v.float() for k, v in hf_bert_sd.items()})
        ref.eval()
        out_t = ref(ids, mask, torch.zeros_like(ids))
    result = {"inputs": INPUTS, "output": out_t.tolist(), "task": hf_bert.task_for(arch, cfg)}
    if result["task"] == "rerank":
        tok = wordpiece.WordPieceTokenizer.from_file(os.path.join(TOKENIZER_DIR, "tokenizer.json"))
        result["pairs"] = []
        for query, passage in PAIRS:
            ids, types = encode_pair(tok, query, passage)
            with torch.no_grad():
                logit = ref(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long), torch.tensor([types]))
            result["pairs"].append({"query": query, "text": passage, "ids": ids, "types": types,
                                    "logit": float(logit[0, 0])})
    export.write_json(os.path.join(out, "reference.json"), result)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("specs", nargs="+", help="NAME=FAMILY:ARCH:POOLING:LABELS, written to OUT/NAME")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for spec in args.specs:
        name, rest = spec.split("=", 1)
        family, arch, pooling, labels = rest.split(":")
        write(os.path.join(args.out, name), family, arch, pooling, int(labels))


if __name__ == "__main__":
    main()

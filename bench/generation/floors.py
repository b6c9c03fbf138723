"""The memory-bandwidth floor of a decode step: weight bytes read per token / measured read bandwidth.

A one-row decode step reads every weight matrix once (it is a matrix-vector product per layer), the LM head
included, but only one row of the token embedding (and of GPT-2's position table). So the bytes per token are
all parameters except the embedding tables, plus the LM head: for tied models the embedding matrix is read
once, as the LM head. Counted from config.json (Hugging Face field names), fp32 unless told otherwise.
Standard library only.

    python3 bench/generation/floors.py CONFIG_JSON [BANDWIDTH_JSONL]
"""
import json
import sys


def _llama_dims(cfg):
    """(hidden, layers, vocab, heads, kv_heads, head_dim, intermediate) of a Llama-family config.json."""
    d, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    return (d, cfg["num_hidden_layers"], cfg["vocab_size"], heads, cfg.get("num_key_value_heads") or heads,
            cfg.get("head_dim") or d // heads, cfg["intermediate_size"])


def weight_params_per_token(cfg):
    """Parameters a one-token decode step reads (see the module comment)."""
    if cfg.get("model_type") == "gpt2":
        d, layers, vocab = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"]
        inner = cfg.get("n_inner") or 4 * d
        per_layer = (d * 3 * d + 3 * d) + (d * d + d) + (d * inner + inner) + (inner * d + d) + 4 * d
        return layers * per_layer + 2 * d + vocab * d
    d, layers, vocab, heads, kv, hd, inter = _llama_dims(cfg)
    attn = d * heads * hd + 2 * d * kv * hd + heads * hd * d
    if cfg.get("model_type") == "qwen2" or cfg.get("attention_bias"):
        attn += heads * hd + 2 * kv * hd + (d if cfg.get("attention_bias") else 0)
    if cfg.get("model_type") in ("qwen3", "gemma3_text"):  # q_norm and k_norm
        attn += 2 * hd
    mlp = 3 * d * inter + (2 * inter + d if cfg.get("mlp_bias") else 0)
    # Gemma-2/3 add post-attention and post-feedforward norms to the two pre-norms
    norms = 4 * d if cfg.get("model_type") in ("gemma2", "gemma3_text") else 2 * d
    return layers * (attn + mlp + norms) + d + vocab * d


def int8_bytes_per_token(cfg):
    """Bytes a one-row step of an int8 archive (convert_gpt2.py / convert.py --quantize int8) reads: the linear
    layers' and the LM head's weights at 1 byte plus, per output channel, an fp32 scale and an int32 row sum
    (slmtorch/qlinear.py); biases and norms stay fp32 (the zero padding of int8_linear's tiles is left out)."""
    if cfg.get("model_type") == "gpt2":
        d, layers, vocab = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"]
        inner = cfg.get("n_inner") or 4 * d
        weights = layers * (d * 3 * d + d * d + 2 * d * inner) + vocab * d
        channels = layers * (3 * d + d + inner + d) + vocab
    else:  # the Llama family (slmtorch/llama.py quantize_int8): q, k, v, o, gate, up, down and the LM head
        d, layers, vocab, heads, kv, hd, inter = _llama_dims(cfg)
        weights = layers * (d * heads * hd + 2 * d * kv * hd + heads * hd * d + 3 * d * inter) + vocab * d
        channels = layers * (heads * hd + 2 * kv * hd + d + 2 * inter + d) + vocab
    return weights + 8 * channels + 4 * (weight_params_per_token(cfg) - weights)


def read_bandwidth(path):
    """{threads: GB/s} from bandwidth.c's JSON lines: per thread count the faster of 4 KiB and 2 MiB pages (the
    machine's best read rate; the service reads its weights from huge pages, slm.engine.huge-pages)."""
    out = {}
    with open(path) as f:
        for line in f:
            if line.strip().startswith("{"):
                r = json.loads(line)
                out[r["threads"]] = max(out.get(r["threads"], 0.0), r["gb_per_s"])
    return out


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    n = weight_params_per_token(cfg)
    print(f"{n} parameters read per token: {n * 4 / 1e6:.1f} MB fp32, {n * 2 / 1e6:.1f} MB 16-bit")
    if len(sys.argv) > 2:
        for threads, bw in sorted(read_bandwidth(sys.argv[2]).items()):
            print(f"{threads} thread(s): {bw:.1f} GB/s, fp32 floor {n * 4 / bw / 1e6:.2f} ms per token")


if __name__ == "__main__":
    main()

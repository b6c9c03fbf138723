"""A BERT encoder for TorchScript export, with Hugging Face parameter names.

Three top-level modules, each scriptable with ``torch.jit.script`` under torch 1.13:

* :class:`BertModel` (names as transformers' ``BertModel``: ``embeddings.*``, ``encoder.layer.N.*``)
  ``forward(input_ids, attention_mask, token_type_ids) -> last_hidden_state [B, T, H]``
* :class:`BertForMaskedLM` (``bert.*``, ``cls.predictions.*``; the decoder is tied to the word embeddings)
  ``forward(...) -> logits [B, T, V]``
* :class:`BertForSequenceClassification` (``bert.*`` incl. ``bert.pooler.dense``, ``classifier.*``)
  ``forward(...) -> logits [B, num_labels]``

All inputs are int64 ``[B, T]``. ``attention_mask`` is 1 for real tokens and 0 for padding; when it is all
ones, attention runs without a mask (``attn_mask=None``), which lets libtorch pick its flash kernels.
Otherwise the additive mask is ``(1 - mask) * finfo(dtype).min`` of shape ``[B, 1, 1, T]`` in the model dtype.

Attention calls ``torch.ops.aten.scaled_dot_product_attention`` (see :mod:`slmtorch.sdpa`), so the saved
archive runs libtorch's fused kernel. Every module exports ``cast(dtype: str)`` ("float32" | "float16" |
"bfloat16") which converts all floating parameters in place; :func:`half_matrices` stores 2-D weights as
fp16 for a smaller archive, and the server calls ``cast`` once after load.
"""
import math
from typing import Dict, List, Optional

import torch
from torch import Tensor, nn
import torch.nn.functional as F

from . import sdpa  # noqa: F401  (registers aten::scaled_dot_product_attention on torch 1.13)

DEFAULTS = {
    "architectures": ["BertModel"],
    "attention_probs_dropout_prob": 0.1,
    "classifier_dropout": None,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 768,
    "initializer_range": 0.02,
    "intermediate_size": 3072,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512,
    "model_type": "bert",
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "type_vocab_size": 2,
    "use_cache": True,
    "vocab_size": 30522,
}


def make_config(**overrides) -> Dict:
    """A Hugging Face ``BertConfig``-style dict (what config.json holds)."""
    cfg = dict(DEFAULTS)
    cfg.update(overrides)
    return cfg


# ---------------------------------------------------------------------------------------------------
# Leaf modules: same parameter names as torch.nn.{Linear, LayerNorm, Embedding}, plus cast().

class Linear(nn.Module):
    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.weight = self.weight.detach().to(dt)
        self.bias = self.bias.detach().to(dt)


class LayerNorm(nn.Module):
    def __init__(self, n: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n))
        self.eps = eps
        self.n = n

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, [self.n], self.weight, self.bias, self.eps)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.weight = self.weight.detach().to(dt)
        self.bias = self.bias.detach().to(dt)


class Dropout(nn.Module):
    """Like nn.Dropout, without its Final constants (their order in the scripted code varies with the
    Python hash seed, which would make archives differ between runs)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        if self.training and self.p > 0.0:
            return F.dropout(x, self.p, True)
        return x


class Embedding(nn.Module):
    def __init__(self, n: int, d: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, d))

    def forward(self, ids: Tensor) -> Tensor:
        return F.embedding(ids, self.weight)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.weight = self.weight.detach().to(dt)


# ---------------------------------------------------------------------------------------------------
# Encoder

class BertEmbeddings(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        h = cfg["hidden_size"]
        self.word_embeddings = Embedding(cfg["vocab_size"], h)
        self.position_embeddings = Embedding(cfg["max_position_embeddings"], h)
        self.token_type_embeddings = Embedding(cfg["type_vocab_size"], h)
        self.LayerNorm = LayerNorm(h, cfg["layer_norm_eps"])
        self.dropout = Dropout(cfg["hidden_dropout_prob"])

    def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
        t = input_ids.size(1)
        positions = torch.arange(t, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.word_embeddings.cast(dt)
        self.position_embeddings.cast(dt)
        self.token_type_embeddings.cast(dt)
        self.LayerNorm.cast(dt)


class BertSelfAttention(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        h = cfg["hidden_size"]
        self.num_heads = cfg["num_attention_heads"]
        self.head_dim = h // self.num_heads
        self.hidden = h
        self.attn_dropout = float(cfg["attention_probs_dropout_prob"])
        self.query = Linear(h, h)
        self.key = Linear(h, h)
        self.value = Linear(h, h)

    def forward(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        b, t = x.size(0), x.size(1)
        q = self.query(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.key(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        v = self.value(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        p = self.attn_dropout if self.training else 0.0
        o = torch.ops.aten.scaled_dot_product_attention(q, k, v, mask, p, False)
        return o.transpose(1, 2).reshape(b, t, self.hidden)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.query.cast(dt)
        self.key.cast(dt)
        self.value.cast(dt)


class BertSelfOutput(nn.Module):
    """Also serves as BertOutput (intermediate -> hidden) with a different input width."""

    def __init__(self, cfg: Dict, n_in: int):
        super().__init__()
        h = cfg["hidden_size"]
        self.dense = Linear(n_in, h)
        self.LayerNorm = LayerNorm(h, cfg["layer_norm_eps"])
        self.dropout = Dropout(cfg["hidden_dropout_prob"])

    def forward(self, x: Tensor, residual: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.dense.cast(dt)
        self.LayerNorm.cast(dt)


class BertAttention(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        setattr(self, "self", BertSelfAttention(cfg))  # HF name: attention.self.query ...
        self.output = BertSelfOutput(cfg, cfg["hidden_size"])

    def forward(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        return self.output(self.self(x, mask), x)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.self.cast(dt)
        self.output.cast(dt)


class BertIntermediate(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        if cfg.get("hidden_act", "gelu") != "gelu":
            raise ValueError("only exact (erf) gelu is supported, got " + str(cfg.get("hidden_act")))
        self.dense = Linear(cfg["hidden_size"], cfg["intermediate_size"])

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(self.dense(x))  # exact erf GELU

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.dense.cast(dt)


class BertLayer(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.attention = BertAttention(cfg)
        self.intermediate = BertIntermediate(cfg)
        self.output = BertSelfOutput(cfg, cfg["intermediate_size"])

    def forward(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.attention.cast(dt)
        self.intermediate.cast(dt)
        self.output.cast(dt)


class BertEncoder(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(cfg) for _ in range(cfg["num_hidden_layers"])])

    def forward(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        for layer in self.layer:
            x = layer(x, mask)
        return x

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        for layer in self.layer:
            layer.cast(dt)


class BertPooler(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.dense = Linear(cfg["hidden_size"], cfg["hidden_size"])

    def forward(self, hidden: Tensor) -> Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.dense.cast(dt)


def _to_dtype(dtype: str) -> torch.dtype:
    dt = torch.float32
    if dtype == "float16":
        dt = torch.float16
    elif dtype == "bfloat16":
        dt = torch.bfloat16
    elif dtype != "float32":
        raise RuntimeError("cast: dtype must be float32, float16 or bfloat16")
    return dt


class BertModel(nn.Module):
    """transformers' BertModel; ``forward`` returns last_hidden_state. The pooler (``pooler.dense``) exists
    only with ``add_pooling_layer=True`` and is applied by the classification head, not here."""

    def __init__(self, cfg: Dict, add_pooling_layer: bool = False):
        super().__init__()
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertEncoder(cfg)
        if add_pooling_layer:
            self.pooler = BertPooler(cfg)

    def extended_mask(self, attention_mask: Tensor) -> Optional[Tensor]:
        if bool((attention_mask == 1).all()):
            return None  # no padding: unmasked attention (flash kernels need no mask)
        dt = self.embeddings.word_embeddings.weight.dtype
        big = -3.4028234663852886e38
        if dt == torch.float16:
            big = -65504.0
        elif dt == torch.bfloat16:
            big = -3.3895313892515355e38
        m = attention_mask[:, None, None, :].to(dt)
        return (1.0 - m) * big

    def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:
        mask = self.extended_mask(attention_mask)
        return self.encoder(self.embeddings(input_ids, token_type_ids), mask)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dt = _to_dtype(dtype)
        self.embeddings.cast(dt)
        self.encoder.cast(dt)


# ---------------------------------------------------------------------------------------------------
# Heads

class BertPredictionHeadTransform(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.dense = Linear(cfg["hidden_size"], cfg["hidden_size"])
        self.LayerNorm = LayerNorm(cfg["hidden_size"], cfg["layer_norm_eps"])

    def forward(self, x: Tensor) -> Tensor:
        return self.LayerNorm(F.gelu(self.dense(x)))

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.dense.cast(dt)
        self.LayerNorm.cast(dt)


class BertLMPredictionHead(nn.Module):
    """``cls.predictions``: transform, then logits against the (tied) word embeddings plus ``bias``.
    The HF names ``cls.predictions.decoder.weight`` / ``.decoder.bias`` are aliases of the word embeddings
    and of ``cls.predictions.bias``; the converters add or drop them."""

    def __init__(self, cfg: Dict):
        super().__init__()
        self.transform = BertPredictionHeadTransform(cfg)
        self.bias = nn.Parameter(torch.zeros(cfg["vocab_size"]))

    def forward(self, x: Tensor, decoder_weight: Tensor) -> Tensor:
        return F.linear(self.transform(x), decoder_weight, self.bias)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.transform.cast(dt)
        self.bias = self.bias.detach().to(dt)


class BertOnlyMLMHead(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.predictions = BertLMPredictionHead(cfg)

    def forward(self, x: Tensor, decoder_weight: Tensor) -> Tensor:
        return self.predictions(x, decoder_weight)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.predictions.cast(dt)


class BertForMaskedLM(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.bert = BertModel(cfg, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(cfg)

    def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:
        h = self.bert(input_ids, attention_mask, token_type_ids)
        return self.cls(h, self.bert.embeddings.word_embeddings.weight)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.bert.cast(dtype)
        self.cls.cast(_to_dtype(dtype))


class BertForSequenceClassification(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.num_labels = len(cfg.get("id2label") or {0: "LABEL_0", 1: "LABEL_1"})
        self.bert = BertModel(cfg, add_pooling_layer=True)
        p = cfg.get("classifier_dropout")
        self.dropout = Dropout(cfg["hidden_dropout_prob"] if p is None else p)
        self.classifier = Linear(cfg["hidden_size"], self.num_labels)

    def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:
        h = self.bert(input_ids, attention_mask, token_type_ids)
        return self.classifier(self.dropout(self.bert.pooler(h)))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dt = _to_dtype(dtype)
        self.bert.cast(dtype)
        self.bert.pooler.cast(dt)
        self.classifier.cast(dt)


ARCHITECTURES = {
    "BertModel": BertModel,
    "BertForMaskedLM": BertForMaskedLM,
    "BertForSequenceClassification": BertForSequenceClassification,
}


def build(cfg: Dict) -> nn.Module:
    arch = (cfg.get("architectures") or ["BertModel"])[0]
    if arch not in ARCHITECTURES:
        raise ValueError("unsupported architecture " + arch)
    return ARCHITECTURES[arch](cfg)


def init_weights(model: nn.Module, std: float = 0.02) -> None:
    """BERT initialisation: normal(0, std) matrices and embeddings, zero biases, unit LayerNorm."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if isinstance(p, torch.Tensor) and p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * std)
            elif name.endswith("LayerNorm.weight"):
                p.fill_(1.0)
            else:
                p.zero_()


# ---------------------------------------------------------------------------------------------------
# State dicts in Hugging Face layout

TIED_MLM_KEYS = ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias")


def hf_state_dict(model: nn.Module) -> Dict[str, Tensor]:
    """State dict with the names transformers writes (tied MLM decoder keys included)."""
    sd = {k: v.detach() for k, v in model.state_dict().items()}
    if isinstance(model, BertForMaskedLM):
        sd["cls.predictions.decoder.weight"] = sd["bert.embeddings.word_embeddings.weight"]
        sd["cls.predictions.decoder.bias"] = sd["cls.predictions.bias"]
    return sd


def load_hf_state_dict(model: nn.Module, sd: Dict[str, Tensor]) -> None:
    """Loads a transformers-layout state dict (fp32 or other float), dropping buffers and tied aliases.
    Accepts BertModel checkpoints with or without the ``bert.`` prefix."""
    own = model.state_dict()
    src = dict(sd)
    for k in TIED_MLM_KEYS:
        alias = src.pop(k, None)
        if alias is None:
            continue
        base = src.get("bert.embeddings.word_embeddings.weight") if k.endswith("weight") else src.get(
            "cls.predictions.bias")
        if base is not None and not torch.equal(alias.float(), base.float()):
            raise ValueError(k + " is not tied to its base; untied decoders are not supported")
    if not any(k in own for k in src):
        # e.g. a bare BertModel checkpoint loaded into a model whose names start with "bert."
        src = {"bert." + k: v for k, v in src.items()}
    if all(k.startswith("bert.") for k in src) and not any(k.startswith("bert.") for k in own):
        src = {k[len("bert."):]: v for k, v in src.items()}
    skip = {k for k in src if k.endswith("position_ids")}
    missing = [k for k in own if k not in src]
    unexpected = [k for k in src if k not in own and k not in skip]
    if missing or unexpected:
        raise KeyError("state dict mismatch: missing=%s unexpected=%s" % (missing[:8], unexpected[:8]))
    with torch.no_grad():
        for k, p in own.items():
            t = src[k]
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError("%s: shape %s, expected %s" % (k, tuple(t.shape), tuple(p.shape)))
            p.copy_(t.to(p.dtype))


def half_matrices(model: nn.Module) -> None:
    """Stores every 2-D weight as fp16 (biases and LayerNorm stay fp32): a smaller archive. Call
    ``cast("float32")`` (or another dtype) before running the model."""
    for mod in model.modules():
        w = getattr(mod, "weight", None)
        if isinstance(w, torch.Tensor) and w.dim() == 2 and w.is_floating_point():
            mod.weight = nn.Parameter(w.detach().half(), requires_grad=False)


def script(model: nn.Module) -> torch.jit.ScriptModule:
    model.eval()
    return torch.jit.script(model)

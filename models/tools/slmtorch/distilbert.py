"""DistilBERT encoders for TorchScript export, with Hugging Face parameter names.

Names as transformers' ``DistilBertModel``: ``embeddings.{word_embeddings,position_embeddings,LayerNorm}``
(no token types), ``transformer.layer.N.attention.{q_lin,k_lin,v_lin,out_lin}``, ``sa_layer_norm``,
``ffn.{lin1,lin2}``, ``output_layer_norm``; config keys ``dim``, ``n_layers``, ``n_heads``, ``hidden_dim``.
``DistilBertForSequenceClassification`` (``distilbert.*``): ``pre_classifier`` + ReLU + ``classifier`` on the
first token's state; there is no pooler. ``token_type_ids`` is accepted and ignored, so the archive keeps
the three-input contract of bert.py (and ``cast(dtype)``).
"""
from typing import Dict, Optional

import torch
from torch import Tensor, nn
import torch.nn.functional as F

from . import bert, masks
from .bert import Dropout, Embedding, LayerNorm, Linear

DEFAULTS = {
    "architectures": ["DistilBertModel"], "model_type": "distilbert", "activation": "gelu",
    "attention_dropout": 0.1, "dim": 768, "dropout": 0.1, "hidden_dim": 3072, "initializer_range": 0.02,
    "max_position_embeddings": 512, "n_heads": 12, "n_layers": 6, "pad_token_id": 0, "qa_dropout": 0.1,
    "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": False, "vocab_size": 30522,
}
EPS = 1e-12  # transformers' DistilBERT LayerNorms


def make_config(**overrides) -> Dict:
    cfg = dict(DEFAULTS)
    cfg.update(overrides)
    return cfg


class Embeddings(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.word_embeddings = Embedding(cfg["vocab_size"], cfg["dim"])
        self.position_embeddings = Embedding(cfg["max_position_embeddings"], cfg["dim"])
        self.LayerNorm = LayerNorm(cfg["dim"], EPS)
        self.dropout = Dropout(cfg["dropout"])

    def forward(self, input_ids: Tensor) -> Tensor:
        positions = torch.arange(input_ids.size(1), dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.word_embeddings.cast(dt)
        self.position_embeddings.cast(dt)
        self.LayerNorm.cast(dt)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        d = cfg["dim"]
        self.n_heads = cfg["n_heads"]
        self.head_dim = d // self.n_heads
        self.dim = d
        self.attn_dropout = float(cfg["attention_dropout"])
        self.q_lin = Linear(d, d)
        self.k_lin = Linear(d, d)
        self.v_lin = Linear(d, d)
        self.out_lin = Linear(d, d)

    def forward(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        b, t = x.size(0), x.size(1)
        q = self.q_lin(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.k_lin(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        v = self.v_lin(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        p = self.attn_dropout if self.training else 0.0
        o = torch.ops.aten.scaled_dot_product_attention(q, k, v, mask, p, False)
        return self.out_lin(o.transpose(1, 2).reshape(b, t, self.dim))

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.q_lin.cast(dt)
        self.k_lin.cast(dt)
        self.v_lin.cast(dt)
        self.out_lin.cast(dt)


class FFN(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        if cfg.get("activation", "gelu") != "gelu":
            raise ValueError("only gelu DistilBERT is supported, got " + str(cfg.get("activation")))
        self.lin1 = Linear(cfg["dim"], cfg["hidden_dim"])
        self.lin2 = Linear(cfg["hidden_dim"], cfg["dim"])
        self.dropout = Dropout(cfg["dropout"])

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.lin2(F.gelu(self.lin1(x))))

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.lin1.cast(dt)
        self.lin2.cast(dt)


class TransformerBlock(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.attention = MultiHeadSelfAttention(cfg)
        self.sa_layer_norm = LayerNorm(cfg["dim"], EPS)
        self.ffn = FFN(cfg)
        self.output_layer_norm = LayerNorm(cfg["dim"], EPS)
        self.dropout = Dropout(cfg["dropout"])

    def forward(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        sa = self.sa_layer_norm(self.dropout(self.attention(x, mask)) + x)
        return self.output_layer_norm(self.ffn(sa) + sa)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.attention.cast(dt)
        self.sa_layer_norm.cast(dt)
        self.ffn.cast(dt)
        self.output_layer_norm.cast(dt)


class Transformer(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg["n_layers"])])

    def forward(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        for layer in self.layer:
            x = layer(x, mask)
        return x

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        for layer in self.layer:
            layer.cast(dt)


class DistilBertModel(nn.Module):
    """``forward(input_ids, attention_mask, token_type_ids) -> last_hidden_state [B, T, dim]``."""

    def __init__(self, cfg: Dict):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.transformer = Transformer(cfg)

    def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:
        mask = masks.additive_mask(attention_mask, self.embeddings.word_embeddings.weight.dtype)
        return self.transformer(self.embeddings(input_ids), mask)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dt = bert._to_dtype(dtype)
        self.embeddings.cast(dt)
        self.transformer.cast(dt)


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        self.num_labels = len(cfg.get("id2label") or {0: "LABEL_0", 1: "LABEL_1"})
        self.distilbert = DistilBertModel(cfg)
        self.pre_classifier = Linear(cfg["dim"], cfg["dim"])
        self.classifier = Linear(cfg["dim"], self.num_labels)
        self.dropout = Dropout(cfg["seq_classif_dropout"])

    def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:
        h = self.distilbert(input_ids, attention_mask, token_type_ids)[:, 0]
        return self.classifier(self.dropout(F.relu(self.pre_classifier(h))))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.distilbert.cast(dtype)
        dt = bert._to_dtype(dtype)
        self.pre_classifier.cast(dt)
        self.classifier.cast(dt)


ARCHITECTURES = {
    "DistilBertModel": DistilBertModel,
    "DistilBertForSequenceClassification": DistilBertForSequenceClassification,
}
PREFIX = "distilbert."

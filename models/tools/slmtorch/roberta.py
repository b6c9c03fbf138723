"""RoBERTa and XLM-RoBERTa encoders for TorchScript export, with Hugging Face parameter names.

The layers are BERT's (:mod:`slmtorch.bert`); what differs is the embedding block and the heads:

* position ids start at ``padding_idx + 1`` (transformers' ``create_position_ids_from_input_ids``:
  ``cumsum(mask) * mask + padding_idx``). Here the mask is ``attention_mask``, which equals
  ``input_ids != pad_token_id`` for right-padded rows, so the archive does not depend on the id the server
  pads with.
* one token type (``type_vocab_size`` 1): token_type_ids are ignored (all rows use type 0), as RoBERTa's
  tokenizers produce.
* ``RobertaForSequenceClassification``: no pooler; ``classifier.dense`` + tanh + ``classifier.out_proj`` on
  the first token's state.

``xlm-roberta`` checkpoints have the same layout (names ``roberta.*``), only a larger vocabulary.
Same ``forward(input_ids, attention_mask, token_type_ids)`` and ``cast(dtype)`` contract as bert.py.
"""
from typing import Dict

import torch
from torch import Tensor, nn

from . import bert, masks
from .bert import Dropout, Embedding, LayerNorm, Linear

DEFAULTS = dict(bert.DEFAULTS, architectures=["RobertaModel"], model_type="roberta", pad_token_id=1,
                bos_token_id=0, eos_token_id=2, max_position_embeddings=514, type_vocab_size=1,
                layer_norm_eps=1e-5, vocab_size=50265)


def make_config(**overrides) -> Dict:
    cfg = dict(DEFAULTS)
    cfg.update(overrides)
    return cfg


class RobertaEmbeddings(nn.Module):
    def __init__(self, cfg: Dict):
        super().__init__()
        h = cfg["hidden_size"]
        self.padding_idx = int(cfg.get("pad_token_id", 1))
        self.types = int(cfg["type_vocab_size"])
        self.word_embeddings = Embedding(cfg["vocab_size"], h)
        self.position_embeddings = Embedding(cfg["max_position_embeddings"], h)
        self.token_type_embeddings = Embedding(cfg["type_vocab_size"], h)
        self.LayerNorm = LayerNorm(h, cfg["layer_norm_eps"])
        self.dropout = Dropout(cfg["hidden_dropout_prob"])

    def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:
        mask = attention_mask.to(torch.long)
        positions = torch.cumsum(mask, dim=1) * mask + self.padding_idx
        if self.types == 1:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.word_embeddings.cast(dt)
        self.position_embeddings.cast(dt)
        self.token_type_embeddings.cast(dt)
        self.LayerNorm.cast(dt)


class RobertaModel(nn.Module):
    """transformers' RobertaModel without its pooler; ``forward`` returns last_hidden_state [B, T, H]."""

    def __init__(self, cfg: Dict):
        super().__init__()
        self.embeddings = RobertaEmbeddings(cfg)
        self.encoder = bert.BertEncoder(cfg)

    def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:
        mask = masks.additive_mask(attention_mask, self.embeddings.word_embeddings.weight.dtype)
        return self.encoder(self.embeddings(input_ids, attention_mask, token_type_ids), mask)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dt = bert._to_dtype(dtype)
        self.embeddings.cast(dt)
        self.encoder.cast(dt)


class RobertaClassificationHead(nn.Module):
    def __init__(self, cfg: Dict, num_labels: int):
        super().__init__()
        p = cfg.get("classifier_dropout")
        self.dense = Linear(cfg["hidden_size"], cfg["hidden_size"])
        self.dropout = Dropout(cfg["hidden_dropout_prob"] if p is None else p)
        self.out_proj = Linear(cfg["hidden_size"], num_labels)

    def forward(self, hidden: Tensor) -> Tensor:
        x = torch.tanh(self.dense(self.dropout(hidden[:, 0])))
        return self.out_proj(self.dropout(x))

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.dense.cast(dt)
        self.out_proj.cast(dt)


class RobertaForSequenceClassification(nn.Module):
    """``forward(...) -> logits [B, num_labels]``; one label makes it a reranker (cross-encoder)."""

    def __init__(self, cfg: Dict):
        super().__init__()
        self.num_labels = len(cfg.get("id2label") or {0: "LABEL_0", 1: "LABEL_1"})
        self.roberta = RobertaModel(cfg)
        self.classifier = RobertaClassificationHead(cfg, self.num_labels)

    def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:
        return self.classifier(self.roberta(input_ids, attention_mask, token_type_ids))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.roberta.cast(dtype)
        self.classifier.cast(bert._to_dtype(dtype))


ARCHITECTURES = {
    "RobertaModel": RobertaModel,
    "XLMRobertaModel": RobertaModel,
    "RobertaForSequenceClassification": RobertaForSequenceClassification,
    "XLMRobertaForSequenceClassification": RobertaForSequenceClassification,
}
PREFIX = "roberta."

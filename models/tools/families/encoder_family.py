"""RoBERTa, XLM-RoBERTa and DistilBERT snapshots -> served encoder folder, through hf_bert.convert
(slmtorch/roberta.py, slmtorch/distilbert.py); sentence-transformers files (modules.json, 1_Pooling, ...) are kept.
A *ForSequenceClassification with one label is written as a reranker (option.task=rerank)."""
import hf_bert

MODEL_TYPES = ("roberta", "xlm-roberta", "distilbert")


def convert(snapshot_dir: str, out_dir: str, args) -> None:
    limit = getattr(args, "max_total_tokens", 0) or None
    hf_bert.convert(snapshot_dir, out_dir, _Args(limit, getattr(args, "quantize", None)))


class _Args:
    def __init__(self, max_input_tokens, quantize):
        self.max_input_tokens = max_input_tokens
        self.quantize = quantize

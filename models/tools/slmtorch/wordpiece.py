"""A pure-Python BERT WordPiece tokenizer that reads (and writes) Hugging Face tokenizer.json files.

Implements what the BERT tokenizer.json pipeline does: BertNormalizer (clean text, CJK spacing,
lowercase, strip accents), BertPreTokenizer (whitespace and punctuation split), WordPiece (greedy
longest-match-first with ``##`` continuations) and the [CLS] A [SEP] template. Used to produce inputs
for the Python reference models and, in :mod:`slmtorch.wordpiece_trainer`, to train new vocabularies.
"""
import json
import re
import unicodedata
from typing import Dict, List, Optional, Tuple


SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _is_control(ch: str) -> bool:
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_whitespace(ch: str) -> bool:
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs"


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_chinese(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def normalize(text: str, lowercase: bool = True, strip_accents: Optional[bool] = None) -> str:
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_chinese(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    s = "".join(out)
    if strip_accents is None:
        strip_accents = lowercase
    if strip_accents:
        s = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
    if lowercase:
        s = s.lower()
    return s


def pre_tokenize(text: str) -> List[str]:
    words: List[str] = []
    cur: List[str] = []
    for ch in text:
        if _is_whitespace(ch):
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punctuation(ch):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


class WordPieceTokenizer:
    def __init__(self, vocab: Dict[str, int], unk: str = "[UNK]", prefix: str = "##",
                 lowercase: bool = True, strip_accents: Optional[bool] = None, max_chars: int = 100):
        self.vocab = vocab
        self.inv = {i: t for t, i in vocab.items()}
        self.unk = unk
        self.prefix = prefix
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.max_chars = max_chars
        self.cls_id = vocab["[CLS]"]
        self.sep_id = vocab["[SEP]"]
        self.pad_id = vocab["[PAD]"]
        self.mask_id = vocab.get("[MASK]")
        self._specials = [t for t in SPECIALS if t in vocab]
        self._special_re = re.compile("(" + "|".join(re.escape(t) for t in self._specials) + ")")

    @classmethod
    def from_file(cls, path: str) -> "WordPieceTokenizer":
        with open(path, encoding="utf-8") as f:
            tj = json.load(f)
        m = tj["model"]
        if m["type"] != "WordPiece":
            raise ValueError("not a WordPiece tokenizer: " + m["type"])
        norm = tj.get("normalizer") or {}
        return cls(m["vocab"], m.get("unk_token", "[UNK]"), m.get("continuing_subword_prefix", "##"),
                   norm.get("lowercase", True), norm.get("strip_accents"), m.get("max_input_chars_per_word", 100))

    def word_pieces(self, word: str) -> List[str]:
        if len(word) > self.max_chars:
            return [self.unk]
        pieces = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = self.prefix + sub
                if sub in self.vocab:
                    found = sub
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces

    def tokenize(self, text: str) -> List[str]:
        """Special tokens written in the text (e.g. "[MASK]") are kept whole, as tokenizers' added tokens are."""
        toks: List[str] = []
        for part in self._special_re.split(text):
            if not part:
                continue
            if part in self._specials:
                toks.append(part)
                continue
            for w in pre_tokenize(normalize(part, self.lowercase, self.strip_accents)):
                toks.extend(self.word_pieces(w))
        return toks

    def encode(self, text: str, add_special_tokens: bool = True) -> List[int]:
        ids = [self.vocab[t] for t in self.tokenize(text)]
        if add_special_tokens:
            ids = [self.cls_id] + ids + [self.sep_id]
        return ids

    def batch(self, texts: List[str]) -> Tuple[List[List[int]], List[List[int]]]:
        """Right-padded ids and attention masks."""
        enc = [self.encode(t) for t in texts]
        t = max(len(e) for e in enc)
        ids = [e + [self.pad_id] * (t - len(e)) for e in enc]
        mask = [[1] * len(e) + [0] * (t - len(e)) for e in enc]
        return ids, mask

    def decode(self, ids: List[int]) -> str:
        out = ""
        for i in ids:
            tok = self.inv[i]
            if tok.startswith(self.prefix):
                out += tok[len(self.prefix):]
            else:
                out += (" " if out else "") + tok
        return out



def tokenizer_json(vocab: Dict[str, int], lowercase: bool = True) -> Dict:
    """A Hugging Face tokenizer.json for a BERT WordPiece vocabulary (no padding or truncation: the
    server decides both)."""
    added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t in SPECIALS if t in vocab]
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": lowercase},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [cls_id], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [sep_id], "tokens": ["[SEP]"]}},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }


def tokenizer_config(model_max_length: int, lowercase: bool = True) -> Dict:
    return {"tokenizer_class": "BertTokenizer", "do_lower_case": lowercase, "model_max_length": model_max_length,
            "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
            "mask_token": "[MASK]", "clean_up_tokenization_spaces": True, "strip_accents": None,
            "tokenize_chinese_chars": True}

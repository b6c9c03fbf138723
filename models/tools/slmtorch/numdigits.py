"""The nano-t5 task (English number words -> digits) and its Unigram tokenizer, written by hand as a Hugging Face
``tokenizers`` tokenizer.json (no ``tokenizers`` Python package here) plus a Python twin for training.

``numwords.words(4817) == "four thousand eight hundred seventeen"`` is the source, ``"4817"`` the target.

Tokenizer (the layout of T5's own tokenizer.json, smaller): normalizer ``Lowercase``; pre-tokenizer and decoder
``Metaspace`` (replacement ``▁``, prepend_scheme ``always``, split); model ``Unigram`` with log-probability scores:
``<pad>`` 0, ``</s>`` 1, ``<unk>`` 2 (T5's ids), ``▁`` and the digits ``0``..``9`` (so ``"4817"`` is ``▁ 4 8 1 7``),
every number word with its word-start mark (``▁four``, ``▁twenty-one``, ``▁thousand``, ...) and, as a fallback
for other words, the letters a..z and ``-``; post-processor ``TemplateProcessing`` appending ``</s>`` to a
source, as T5's does. Scores make a whole word (-3) beat any spelling in letters (-8 each).
"""
import json
import math
from typing import Dict, List, Tuple

from slmtorch import numwords

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
SPECIALS = [PAD, EOS, UNK]
MARK = "\u2581"  # ▁
SCORE_DIGIT = -2.0
SCORE_WORD = -3.0
SCORE_CHAR = -8.0


def number_words() -> List[str]:
    """Every word numwords.words can produce (the 72 hyphenated compounds included)."""
    return [t for t in numwords.vocabulary() if t not in numwords.SPECIALS and not t.isdigit()]


def vocabulary() -> List[Tuple[str, float]]:
    """(piece, score) in id order."""
    v = [(s, 0.0) for s in SPECIALS] + [(MARK, SCORE_DIGIT)] + [(str(d), SCORE_DIGIT) for d in range(10)]
    v += [(MARK + w, SCORE_WORD) for w in number_words()]
    v += [(c, SCORE_CHAR) for c in "abcdefghijklmnopqrstuvwxyz-"]
    assert len({p for p, _ in v}) == len(v)
    return v


def tokenizer_json() -> Dict:
    vocab = vocabulary()
    ids = {p: i for i, (p, _) in enumerate(vocab)}
    added = [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t in SPECIALS]
    metaspace = {"type": "Metaspace", "replacement": MARK, "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": EOS, "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": EOS, "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": EOS, "type_id": 0}}],
            "special_tokens": {EOS: {"id": EOS, "ids": [ids[EOS]], "tokens": [EOS]}},
        },
        "decoder": dict(metaspace),
        "model": {"type": "Unigram", "unk_id": ids[UNK], "vocab": [[p, s] for p, s in vocab],
                  "byte_fallback": False},
    }


def write_tokenizer(path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(), f, indent=1, ensure_ascii=False)
        f.write("\n")


class DigitsTokenizer:
    """Python twin of tokenizer.json: Lowercase, Metaspace split, Viterbi over the Unigram scores."""

    def __init__(self):
        vocab = vocabulary()
        self.tokens = [p for p, _ in vocab]
        self.scores = {p: s for p, s in vocab if p not in SPECIALS}
        self.ids = {p: i for i, p in enumerate(self.tokens)}
        self.pad, self.eos, self.unk = (self.ids[t] for t in SPECIALS)
        self.vocab_size = len(self.tokens)
        self.max_piece = max(len(p) for p in self.scores)

    def _viterbi(self, word: str) -> List[int]:
        n = len(word)
        best = [(-math.inf, -1, -1)] * (n + 1)  # (score, start, id)
        best[0] = (0.0, 0, -1)
        for end in range(1, n + 1):
            for start in range(max(0, end - self.max_piece), end):
                piece = word[start:end]
                if piece in self.scores and best[start][0] > -math.inf:
                    s = best[start][0] + self.scores[piece]
                    if s > best[end][0]:
                        best[end] = (s, start, self.ids[piece])
            if best[end][0] == -math.inf:  # no piece ends here: one unknown character (tokenizers' unk score)
                s = best[end - 1][0] - 10.0 + SCORE_CHAR
                best[end] = (s, end - 1, self.unk)
        out, end = [], n
        while end > 0:
            _, start, tid = best[end]
            out.append(tid)
            end = start
        out.reverse()
        merged: List[int] = []  # tokenizers fuses consecutive unknowns into one <unk>
        for t in out:
            if not (t == self.unk and merged and merged[-1] == self.unk):
                merged.append(t)
        return merged

    def _segment(self, text: str) -> List[int]:
        if not text:
            return []
        s = text.lower().replace(" ", MARK)
        if not s.startswith(MARK):
            s = MARK + s
        out: List[int] = []
        for part in s.split(MARK)[1:]:  # every piece starts at a mark (the split's first part is empty)
            out.extend(self._viterbi(MARK + part))
        return out

    def encode(self, text: str, add_eos: bool = False) -> List[int]:
        """Ids of text; special tokens written in the text are matched first (added tokens), the rest between
        them is normalized and segmented on its own, as tokenizers does."""
        out: List[int] = []
        rest = text
        while rest:
            hits = [(rest.find(t), t) for t in SPECIALS if t in rest]
            if not hits:
                out.extend(self._segment(rest))
                break
            at, tok = min(hits)
            out.extend(self._segment(rest[:at]))
            out.append(self.ids[tok])
            rest = rest[at + len(tok):]
        return out + [self.eos] if add_eos else out

    def decode(self, ids: List[int], skip_special: bool = True) -> str:
        text = "".join(self.tokens[i] for i in ids if not (skip_special and self.tokens[i] in SPECIALS))
        text = text.replace(MARK, " ")
        return text[1:] if text.startswith(" ") else text

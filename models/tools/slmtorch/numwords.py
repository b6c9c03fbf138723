"""The nano-bart task: integers 0..999,999,999 written as digits -> English words, and its tokenizer.

``words(4817) == "four thousand eight hundred seventeen"``: no "and", no commas, hyphens in 21..99
("twenty-one"), "zero" for 0, "one million" for 1000000 (empty groups are skipped).

The tokenizer is a Hugging Face ``tokenizers`` WordLevel model (``tokenizer.json``, loaded by DJL's
HuggingFaceTokenizer): the vocabulary holds the specials ``<s>`` 0, ``<pad>`` 1, ``</s>`` 2, ``<unk>`` 3 (the
BART ids), the digits ``0``..``9`` and every output word, the 72 hyphenated compounds included, as one token
each. The pre-tokenizer is ``Sequence[WhitespaceSplit, Digits(individual_digits=true)]``, so ``"4817"``
encodes to the four digit tokens; there is no post-processor (the source carries no specials) and no
decoder (tokens are joined with single spaces), so decoding generated ids with skip-special-tokens gives
the words exactly. :class:`NumTokenizer` is the same tokenizer in Python.
"""
import json
from typing import Dict, List

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
SCALES = ["", "thousand", "million"]
MAX = 999_999_999

BOS, PAD, EOS, UNK = "<s>", "<pad>", "</s>", "<unk>"
SPECIALS = [BOS, PAD, EOS, UNK]


def _below_100(n: int) -> str:
    if n < 20:
        return ONES[n]
    t, o = divmod(n, 10)
    return TENS[t] if o == 0 else TENS[t] + "-" + ONES[o]


def _below_1000(n: int) -> List[str]:
    h, r = divmod(n, 100)
    out = [ONES[h], "hundred"] if h else []
    if r:
        out.append(_below_100(r))
    return out


def words(n: int) -> str:
    if not 0 <= n <= MAX:
        raise ValueError(f"{n} outside 0..{MAX}")
    if n == 0:
        return "zero"
    out: List[str] = []
    for scale in (2, 1, 0):
        group = (n // 1000 ** scale) % 1000
        if group:
            out.extend(_below_1000(group))
            if SCALES[scale]:
                out.append(SCALES[scale])
    return " ".join(out)


def vocabulary() -> List[str]:
    """Token strings in id order."""
    toks = list(SPECIALS) + [str(d) for d in range(10)] + ONES[:20]
    for t in range(2, 10):
        toks.append(TENS[t])
        toks.extend(TENS[t] + "-" + ONES[o] for o in range(1, 10))
    toks += ["hundred", "thousand", "million"]
    assert len(set(toks)) == len(toks)
    return toks


def tokenizer_json() -> Dict:
    vocab = {t: i for i, t in enumerate(vocabulary())}
    added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t in SPECIALS]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": True}]},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": UNK},
    }


def write_tokenizer(path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(), f, indent=1, ensure_ascii=False)
        f.write("\n")


class NumTokenizer:
    """Python twin of tokenizer.json (for training and checks)."""

    def __init__(self):
        self.tokens = vocabulary()
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.bos, self.pad, self.eos, self.unk = (self.ids[t] for t in SPECIALS)
        self.vocab_size = len(self.tokens)

    def encode(self, text: str) -> List[int]:
        out = []
        for piece in text.split():
            if any(c.isdigit() for c in piece):  # Digits(individual_digits): each digit alone, runs between
                run = ""
                for c in piece:
                    if c.isdigit():
                        if run:
                            out.append(self.ids.get(run, self.unk))
                            run = ""
                        out.append(self.ids.get(c, self.unk))
                    else:
                        run += c
                if run:
                    out.append(self.ids.get(run, self.unk))
            else:
                out.append(self.ids.get(piece, self.unk))
        return out

    def decode(self, ids: List[int], skip_special: bool = True) -> str:
        return " ".join(self.tokens[i] for i in ids if not (skip_special and self.tokens[i] in SPECIALS))

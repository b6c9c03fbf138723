"""Byte-level BPE (GPT-2 style): trainer, encoder/decoder, and Hugging Face tokenizer.json I/O.

No third-party tokenizer package is needed. The pre-tokenizer is GPT-2's regex
(``'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+``); Python's ``re`` has no
``\\p{..}``, so the letter and number classes are built from ``unicodedata`` categories (L*, N*), which is
what the Hugging Face ``ByteLevel`` pre-tokenizer (``use_regex: true``) matches.

Train a tokenizer::

    /usr/bin/python3 models/tools/bpe.py train --input corpus.txt --vocab-size 8192 --out tokenizer.json

Encoding follows the merge ranks (lowest rank first), which gives the same ids as the Rust
``tokenizers`` BPE model (what DJL's HuggingFaceTokenizer runs).
"""
import argparse
import heapq
import json
import re
import sys
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

EOT = "<|endoftext|>"


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) \
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {c: b for b, c in BYTE_ENCODER.items()}


def _category_class(prefix: str) -> str:
    """A regex character class body for every code point whose Unicode category starts with prefix."""
    ranges = []
    start = None
    for cp in range(sys.maxunicode + 1):
        inside = unicodedata.category(chr(cp)).startswith(prefix)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append((start, cp - 1))
            start = None
    if start is not None:
        ranges.append((start, sys.maxunicode))

    def esc(cp: int) -> str:
        return "\\U%08x" % cp

    return "".join(esc(a) if a == b else esc(a) + "-" + esc(b) for a, b in ranges)


@lru_cache(maxsize=1)
def gpt2_pattern() -> "re.Pattern":
    letters = _category_class("L")
    numbers = _category_class("N")
    return re.compile(
        r"'s|'t|'re|'ve|'m|'ll|'d"
        + r"| ?[" + letters + r"]+"
        + r"| ?[" + numbers + r"]+"
        + r"| ?[^\s" + letters + numbers + r"]+"
        + r"|\s+(?!\S)|\s+"
    )


def pretokenize(text: str) -> List[str]:
    """GPT-2 pre-tokenization, each piece mapped to the byte-level alphabet."""
    out = []
    for piece in gpt2_pattern().findall(text):
        out.append("".join(BYTE_ENCODER[b] for b in piece.encode("utf-8")))
    return out


def train_bpe(texts: Iterable[str], vocab_size: int, special_tokens: Sequence[str] = (EOT,),
              min_frequency: int = 2, verbose: bool = True) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """Learns merges until the vocabulary (256 bytes + merges + specials) reaches vocab_size.

    Returns (vocab token -> id, merges in rank order). Ids: the 256 byte symbols in byte order, then merge
    results in merge order, then the special tokens last (as GPT-2 puts <|endoftext|> last).
    Ties between equally frequent pairs break on the smaller (left id, right id), so training is deterministic.
    """
    special_re = re.compile("|".join(re.escape(s) for s in special_tokens)) if special_tokens else None
    counts: Counter = Counter()
    for text in texts:
        parts = special_re.split(text) if special_re else [text]
        for part in parts:
            counts.update(pretokenize(part))
    id_of = {BYTE_ENCODER[b]: b for b in range(256)}
    symbols = [BYTE_ENCODER[b] for b in range(256)]
    words: List[List[int]] = []
    freqs: List[int] = []
    for w, f in counts.items():
        words.append([id_of[c] for c in w])
        freqs.append(f)
    if verbose:
        print(f"bpe: {len(words)} distinct pre-tokens, {sum(freqs)} total", file=sys.stderr)

    pair_count: Dict[Tuple[int, int], int] = {}
    pair_where: Dict[Tuple[int, int], set] = {}

    def add_word(i: int, sign: int) -> None:
        w, f = words[i], freqs[i]
        for a, b in zip(w, w[1:]):
            p = (a, b)
            pair_count[p] = pair_count.get(p, 0) + sign * f
            if sign > 0:
                pair_where.setdefault(p, set()).add(i)

    for i in range(len(words)):
        add_word(i, 1)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges: List[Tuple[int, int]] = []
    n_merges = vocab_size - 256 - len(special_tokens)
    while len(merges) < n_merges and heap:
        negc, p = heapq.heappop(heap)
        c = pair_count.get(p, 0)
        if c != -negc:
            if c > 0:
                heapq.heappush(heap, (-c, p))
            continue
        if c < min_frequency:
            break
        new_id = len(symbols)
        symbols.append(symbols[p[0]] + symbols[p[1]])
        merges.append(p)
        touched = set()
        for i in list(pair_where.get(p, ())):
            w = words[i]
            add_word(i, -1)
            out = []
            j = 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == p[0] and w[j + 1] == p[1]:
                    out.append(new_id)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            add_word(i, 1)
            for a, b in zip(out, out[1:]):
                touched.add((a, b))
        pair_count.pop(p, None)
        pair_where.pop(p, None)
        for q in touched:
            cq = pair_count.get(q, 0)
            if cq > 0:
                heapq.heappush(heap, (-cq, q))
        if verbose and len(merges) % 1000 == 0:
            print(f"bpe: {len(merges)} merges, last {symbols[new_id]!r} x{c}", file=sys.stderr)
    vocab = {s: i for i, s in enumerate(symbols)}
    for s in special_tokens:
        vocab[s] = len(vocab)
    return vocab, [(symbols[a], symbols[b]) for a, b in merges]


class ByteLevelBPE:
    """Encoder/decoder over a vocab + merges (GPT-2 byte-level BPE)."""

    def __init__(self, vocab: Dict[str, int], merges: List[Tuple[str, str]], special_tokens: Sequence[str] = (EOT,)):
        self.vocab = dict(vocab)
        self.merges = list(merges)
        self.ranks = {tuple(m): i for i, m in enumerate(self.merges)}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.special_tokens = [s for s in special_tokens if s in self.vocab]
        self._special_re = re.compile("(" + "|".join(re.escape(s) for s in self.special_tokens) + ")") \
            if self.special_tokens else None
        self._cache: Dict[str, List[int]] = {}

    @property
    def vocab_size(self) -> int:
        return max(self.vocab.values()) + 1

    def token_id(self, token: str) -> int:
        return self.vocab[token]

    def _bpe(self, word: str) -> List[int]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        parts = list(word)
        ranks = self.ranks
        while len(parts) > 1:
            best, best_rank = None, None
            for k in range(len(parts) - 1):
                r = ranks.get((parts[k], parts[k + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = k, r
            if best is None:
                break
            a, b = parts[best], parts[best + 1]
            out = []
            k = 0
            while k < len(parts):  # merge every occurrence of (a, b), left to right
                if k + 1 < len(parts) and parts[k] == a and parts[k + 1] == b:
                    out.append(a + b)
                    k += 2
                else:
                    out.append(parts[k])
                    k += 1
            parts = out
        ids = [self.vocab[p] for p in parts]
        if len(self._cache) < 500_000:
            self._cache[word] = ids
        return ids

    def encode(self, text: str, allow_special: bool = True) -> List[int]:
        ids: List[int] = []
        chunks = self._special_re.split(text) if (allow_special and self._special_re) else [text]
        for chunk in chunks:
            if not chunk:
                continue
            if allow_special and chunk in self.special_tokens:
                ids.append(self.vocab[chunk])
                continue
            for piece in pretokenize(chunk):
                ids.extend(self._bpe(piece))
        return ids

    def decode(self, ids: Iterable[int], skip_special: bool = False) -> str:
        out = bytearray()
        for i in ids:
            tok = self.id_to_token[int(i)]
            if tok in self.special_tokens:
                if not skip_special:
                    out.extend(tok.encode("utf-8"))
                continue
            out.extend(BYTE_DECODER[c] for c in tok)
        return out.decode("utf-8", errors="replace")

    def token_bytes(self, i: int) -> bytes:
        tok = self.id_to_token[int(i)]
        if tok in self.special_tokens:
            return tok.encode("utf-8")
        return bytes(BYTE_DECODER[c] for c in tok)

    # ---- Hugging Face tokenizer.json ----
    def to_hf_json(self) -> dict:
        added = [{"id": self.vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": True, "special": True} for s in self.special_tokens]
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": byte_level,
            "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                               "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": dict(sorted(self.vocab.items(), key=lambda kv: kv[1])),
                "merges": [a + " " + b for a, b in self.merges],
            },
        }

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_hf_json(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path: str) -> "ByteLevelBPE":
        with open(path, encoding="utf-8") as f:
            j = json.load(f)
        model = j["model"]
        if model.get("type") != "BPE":
            raise ValueError(f"{path}: not a BPE tokenizer")
        vocab = dict(model["vocab"])
        merges = []
        for m in model["merges"]:
            a, b = (m.split(" ", 1) if isinstance(m, str) else m)
            merges.append((a, b))
        specials = []
        for t in j.get("added_tokens", []):
            vocab.setdefault(t["content"], t["id"])
            if t.get("special"):
                specials.append(t["content"])
        return cls(vocab, merges, specials)


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train a tokenizer on a UTF-8 text file")
    t.add_argument("--input", required=True)
    t.add_argument("--vocab-size", type=int, default=8192)
    t.add_argument("--out", required=True)
    e = sub.add_parser("encode", help="print ids of a text")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("text")
    args = ap.parse_args(argv)
    if args.cmd == "train":
        with open(args.input, encoding="utf-8") as f:
            text = f.read()
        vocab, merges = train_bpe([text], args.vocab_size)
        ByteLevelBPE(vocab, merges).save(args.out)
    else:
        print(ByteLevelBPE.load(args.tokenizer).encode(args.text))


if __name__ == "__main__":
    main()

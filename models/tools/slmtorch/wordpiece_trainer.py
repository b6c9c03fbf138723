"""Trains a BERT WordPiece vocabulary (the way Hugging Face's WordPieceTrainer does: BPE merges over
word frequencies with ``##`` continuation symbols, then the merged symbols become the vocabulary).

Deterministic: ties between equally frequent pairs break on the pair's text.
"""
import collections
import heapq
from typing import Dict, Iterable, List

from .wordpiece import SPECIALS, normalize, pre_tokenize


def word_counts(texts: Iterable[str], lowercase: bool) -> Dict[str, int]:
    c: Dict[str, int] = collections.Counter()
    for t in texts:
        c.update(pre_tokenize(normalize(t, lowercase, lowercase)))
    return dict(c)


def train(texts: Iterable[str], vocab_size: int, lowercase: bool = False, min_frequency: int = 2,
          prefix: str = "##") -> Dict[str, int]:
    counts = word_counts(texts, lowercase)
    words = sorted(counts)
    freq = [counts[w] for w in words]
    # symbols of each word: first char plain, the rest with the continuation prefix
    syms: List[List[str]] = [[w[0]] + [prefix + ch for ch in w[1:]] for w in words]
    alphabet = sorted({s for ws in syms for s in ws})
    vocab: List[str] = list(SPECIALS) + alphabet

    pair_count: Dict[tuple, int] = collections.defaultdict(int)
    where: Dict[tuple, set] = collections.defaultdict(set)
    for i, ws in enumerate(syms):
        for a, b in zip(ws, ws[1:]):
            pair_count[(a, b)] += freq[i]
            where[(a, b)].add(i)

    def merged(a: str, b: str) -> str:
        return a + b[len(prefix):]

    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    seen = set(vocab)
    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        c = pair_count.get(pair, 0)
        if c != -negc:  # stale entry
            if c > 0:
                heapq.heappush(heap, (-c, pair))
            continue
        if c < min_frequency:
            break
        a, b = pair
        new = merged(a, b)
        if new not in seen:
            vocab.append(new)
            seen.add(new)
        changed = set()
        for i in sorted(where.pop(pair, ())):
            ws = syms[i]
            # remove old pairs of this word
            for x, y in zip(ws, ws[1:]):
                pair_count[(x, y)] -= freq[i]
                changed.add((x, y))
                s = where.get((x, y))
                if s is not None:
                    s.discard(i)
            out = []
            k = 0
            while k < len(ws):
                if k + 1 < len(ws) and ws[k] == a and ws[k + 1] == b:
                    out.append(new)
                    k += 2
                else:
                    out.append(ws[k])
                    k += 1
            syms[i] = out
            for x, y in zip(out, out[1:]):
                pair_count[(x, y)] += freq[i]
                where[(x, y)].add(i)
                changed.add((x, y))
        pair_count.pop(pair, None)
        for p in changed:
            cnt = pair_count.get(p, 0)
            if cnt > 0:
                heapq.heappush(heap, (-cnt, p))
            elif p in pair_count:
                del pair_count[p]
    return {t: i for i, t in enumerate(vocab)}

"""Matthew Henry's Concise Commentary (public domain) as a corpus: the mhcc adapter of nano-gpt.

Source: Debian's ``sword-comm-mhcc`` (the Bible Foundation's text, "Public Domain--Copy Freely"), read with
SWORD's ``diatheke`` (``apt-get install -y diatheke sword-comm-mhcc``). diatheke prints the commentary once per
verse it is attached to (and complains "Error reading ulCompOffset" about the module's index on stderr), so
entries are deduplicated by text, keeping first occurrences in canonical order. An entry is one section's
comment; its "* Verses 3-5 *" markers become lines of their own. Held-out split: every 20th entry
(index % 20 == 10), never trained on.
"""
import re
import subprocess
from typing import List, Tuple

HELDOUT_EVERY = 20
HELDOUT_OFFSET = 10
_LINE = re.compile(r"^(.+? \d+:\d+): ?(.*)$")
_MARK = re.compile(r"\s*\*\s*(Verses? [0-9][0-9, -]*)\s*\*\s*")


def read_raw() -> str:
    return subprocess.run(["diatheke", "-b", "MHCC", "-f", "plain", "-k", "Genesis 1:1-Revelation 22:21"],
                          check=True, capture_output=True, text=True, errors="replace").stdout


def entries(raw: str) -> List[str]:
    seen, out = set(), []
    for line in raw.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        t = m.group(2).strip()
        if len(t) < 20 or t in seen:
            continue
        seen.add(t)
        text = _MARK.sub(lambda mm: "\n" + mm.group(1) + "\n", t)
        lines = [" ".join(part.split()) for part in text.split("\n")]
        out.append("\n".join(x for x in lines if x))
    return out


def split(docs: List[str]) -> Tuple[List[str], List[str]]:
    train = [d for i, d in enumerate(docs) if i % HELDOUT_EVERY != HELDOUT_OFFSET]
    held = [d for i, d in enumerate(docs) if i % HELDOUT_EVERY == HELDOUT_OFFSET]
    return train, held

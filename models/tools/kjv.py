"""King James Bible corpus for nano-gpt: reading, formatting, and the train / held-out split.

Source: Debian's ``bible-kjv-text`` (public domain), read through its ``bible`` program
(``apt-get install -y bible-kjv-text``). Each chapter becomes one document::

    Genesis 1
    1 In the beginning God created the heaven and the earth.
    2 And the earth was without form, and void; ...

Documents are joined with ``<|endoftext|>``. Held-out split: every 20th chapter in canonical order
(global chapter index 0-based, ``index % 20 == 10``), 59 of 1189 chapters; those are never trained on,
neither by the tokenizer nor by the model.
"""
import re
import subprocess
from typing import List, Tuple

BOOKS = [
    ("Ge", "Genesis"), ("Exo", "Exodus"), ("Lev", "Leviticus"), ("Num", "Numbers"), ("Deu", "Deuteronomy"),
    ("Josh", "Joshua"), ("Jdgs", "Judges"), ("Ruth", "Ruth"), ("1Sm", "1 Samuel"), ("2Sm", "2 Samuel"),
    ("1Ki", "1 Kings"), ("2Ki", "2 Kings"), ("1Chr", "1 Chronicles"), ("2Chr", "2 Chronicles"), ("Ezra", "Ezra"),
    ("Neh", "Nehemiah"), ("Est", "Esther"), ("Job", "Job"), ("Psa", "Psalms"), ("Prv", "Proverbs"),
    ("Eccl", "Ecclesiastes"), ("SSol", "Song of Solomon"), ("Isa", "Isaiah"), ("Jer", "Jeremiah"),
    ("Lam", "Lamentations"), ("Eze", "Ezekiel"), ("Dan", "Daniel"), ("Hos", "Hosea"), ("Joel", "Joel"),
    ("Amos", "Amos"), ("Obad", "Obadiah"), ("Jonah", "Jonah"), ("Mic", "Micah"), ("Nahum", "Nahum"),
    ("Hab", "Habakkuk"), ("Zep", "Zephaniah"), ("Hag", "Haggai"), ("Zec", "Zechariah"), ("Mal", "Malachi"),
    ("Mat", "Matthew"), ("Mark", "Mark"), ("Luke", "Luke"), ("John", "John"), ("Acts", "Acts"),
    ("Rom", "Romans"), ("1Cor", "1 Corinthians"), ("2Cor", "2 Corinthians"), ("Gal", "Galatians"),
    ("Eph", "Ephesians"), ("Phi", "Philippians"), ("Col", "Colossians"), ("1Th", "1 Thessalonians"),
    ("2Th", "2 Thessalonians"), ("1Tim", "1 Timothy"), ("2Tim", "2 Timothy"), ("Titus", "Titus"),
    ("Phmn", "Philemon"), ("Heb", "Hebrews"), ("Jas", "James"), ("1Pet", "1 Peter"), ("2Pet", "2 Peter"),
    ("1Jn", "1 John"), ("2Jn", "2 John"), ("3Jn", "3 John"), ("Jude", "Jude"), ("Rev", "Revelation"),
]
EOT = "<|endoftext|>"
HELDOUT_EVERY = 20
HELDOUT_OFFSET = 10
_LINE = re.compile(r"^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$")


def read_raw(path: str = "") -> str:
    """The whole text, one verse per line ("Ge1:1 In the beginning ..."), from a file or the bible program."""
    if path:
        with open(path, encoding="utf-8") as f:
            return f.read()
    return subprocess.run(["bible", "-f", "gen1:1-rev22:21"], check=True, capture_output=True,
                          text=True).stdout


def chapters(raw: str) -> List[Tuple[str, int, str]]:
    """[(book name, chapter number, formatted chapter text)] in canonical order."""
    names = dict(BOOKS)
    out: List[Tuple[str, int, List[str]]] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError(f"unexpected line: {line!r}")
        book, ch, verse, text = names[m.group(1)], int(m.group(2)), int(m.group(3)), m.group(4).strip()
        if not out or out[-1][0] != book or out[-1][1] != ch:
            out.append((book, ch, [f"{book} {ch}"]))
        out[-1][2].append(f"{verse} {text}")
    return [(b, c, "\n".join(lines) + "\n") for b, c, lines in out]


def is_heldout(index: int) -> bool:
    return index % HELDOUT_EVERY == HELDOUT_OFFSET


def split(raw: str) -> Tuple[List[str], List[str], List[str]]:
    """(train chapter texts, held-out chapter texts, held-out chapter names)."""
    train, held, names = [], [], []
    for i, (book, ch, text) in enumerate(chapters(raw)):
        if is_heldout(i):
            held.append(text)
            names.append(f"{book} {ch}")
        else:
            train.append(text)
    return train, held, names


def join(docs: List[str]) -> str:
    return EOT.join(docs) + EOT

"""The King James Version (public domain) from Debian's bible-kjv-text package, verse by verse.

``apt-get install bible-kjv`` (which brings bible-kjv-text) provides /usr/bin/bible and the compressed text in
/usr/lib/bible.data; ``bible -f -l100000 Ge1:1-Re22:21`` prints one "Ref text" line per verse (31,102 verses).
The split is a pure function of the verse reference: sha256(ref) mod 10 == 0 is held out (about 10 %).
"""
import hashlib
import re
import shutil
import subprocess
from typing import List, NamedTuple

OT_BOOKS = 39
_LINE = re.compile(r"^(\S+?)(\d+):(\d+) (.*)$")


class Verse(NamedTuple):
    ref: str        # e.g. "Ge1:1"
    book: str       # e.g. "Ge"
    book_index: int  # 0..65 in canonical order
    text: str
    testament: int  # 0 = Old Testament, 1 = New Testament

    @property
    def heldout(self) -> bool:
        return is_heldout(self.ref)


def is_heldout(ref: str) -> bool:
    return int(hashlib.sha256(ref.encode("utf-8")).hexdigest(), 16) % 10 == 0


def load() -> List[Verse]:
    exe = shutil.which("bible")
    if exe is None:
        raise SystemExit("the KJV text needs Debian's bible-kjv package: apt-get install -y bible-kjv-text bible-kjv")
    out = subprocess.run([exe, "-f", "-l100000", "Ge1:1-Re22:21"], check=True, capture_output=True,
                         text=True, encoding="utf-8").stdout
    verses: List[Verse] = []
    books: List[str] = []
    for line in out.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        book, chapter, verse, text = m.groups()
        if not books or books[-1] != book:
            books.append(book)
        idx = len(books) - 1
        verses.append(Verse(book + chapter + ":" + verse, book, idx, text.strip(), 0 if idx < OT_BOOKS else 1))
    if len(verses) != 31102 or len(books) != 66:
        raise SystemExit("unexpected KJV dump: %d verses in %d books" % (len(verses), len(books)))
    return verses


def split(verses: List[Verse]):
    train = [v for v in verses if not v.heldout]
    held = [v for v in verses if v.heldout]
    return train, held

"""Names compared as a person compares them: the one rule behind every "same child" key.

`山田 太郎`, `山田太郎`, `山田　太郎` and `ﾔﾏﾀﾞ ﾀﾛｳ` / `やまだ たろう` name one child: keys built
from a name use `name_key`, never the name as typed.
"""

from __future__ import annotations

import unicodedata

_SEPARATORS = frozenset("・")  # a middle dot between family and given name, like a space


def name_key(name: str) -> str:
    """NFKC (full- and half-width letters, digits and katakana alike), Latin case ignored,
    no spaces of any kind, no invisible format characters, hiragana read as katakana."""
    out = []
    for c in unicodedata.normalize("NFKC", name).casefold():
        if c.isspace() or c in _SEPARATORS or unicodedata.category(c) in ("Zs", "Cf", "Cc"):
            continue
        if "ぁ" <= c <= "ゖ" or c in "ゝゞ":
            c = chr(ord(c) + 0x60)
        out.append(c)
    return "".join(out)

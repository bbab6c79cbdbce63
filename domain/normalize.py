"""Reading what parents type: names, postal codes, phone numbers, furigana and dates.

Each function returns the normalised value, or None when the text cannot be
used (the flow then re-asks with the reason). Full-width digits and letters,
the many dash characters phones produce, and full-width spaces are accepted.
Control characters, a second line and the invisible marks that change the
direction text is shown in are never part of an answer (`unsafe`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

DASHES = "-‐‑‒–—―−－ｰー"
_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "r": 2018, "h": 1988, "s": 1925}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_ERA_DATE = re.compile(r"^(令和|平成|昭和|[rhs])(\d{1,2}|元)[年./-](\d{1,2})[月./-](\d{1,2})日?$")
_NAME_EXTRA = set(" ・ー々〆ヶ'.-")
# The longest answers kept (characters, once folded): the dialog says so when one is longer.
NAME_MAX = 50
KANA_MAX = 50
ADDRESS_MAX = 120
# Marks that reorder how text is shown (embeddings, overrides, isolates, LRM/RLM/ALM): a
# stored answer could then read differently from what it is. No Japanese text needs them.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# C0 and C1 controls (newline and tab included), DEL, lone surrogates; line/paragraph separators
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def unsafe(text: str) -> bool:
    """True if `text`, leading and trailing blanks aside, holds a control character, a line
    break or a text-direction mark. Emoji (zero-width joiners too) and punctuation are fine."""
    return any(c in BIDI or unicodedata.category(c) in _REFUSED_CATEGORIES for c in text.strip())


def fold(text: str) -> str:
    """NFKC (full-width digits and letters to half-width) with runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def too_long(text: str, limit: int) -> bool:
    """Whether `text`, folded as the answer would be, is longer than `limit` characters."""
    return len(fold(text)) > limit


def _digits(text: str) -> str | None:
    """The digits of `text` once spaces and dashes are dropped; None if anything else remains."""
    folded = fold(text)
    kept = "".join(c for c in folded if c not in DASHES and not c.isspace())
    return kept if kept.isascii() and kept.isdigit() else None


def name(text: str) -> str | None:
    """A person's name: letters (kanji, kana, Latin) and spaces, beginning with a letter;
    no digits or symbols."""
    value = fold(text)
    if not value or len(value) > NAME_MAX or unicodedata.category(value[0])[0] != "L":
        return None
    for c in value:
        if c in _NAME_EXTRA:
            continue
        if unicodedata.category(c)[0] not in "LM":
            return None
    return value


def postal_code(text: str) -> str | None:
    """`1530061` from `153-0061`, `〒153-0061`, `１５３００６１`."""
    digits = _digits(fold(text).removeprefix("〒"))
    return digits if digits is not None and len(digits) == 7 else None


def phone(text: str) -> str | None:
    """A Japanese number as digits: 10 digits (landline, 0120) or 11 (mobile, 050, 0800)."""
    value = fold(text)
    if value.startswith("+81"):
        value = "0" + value[3:].lstrip(" -(").replace(")", "")
    digits = _digits(value.replace("(", "-").replace(")", "-"))
    if digits is None or not digits.startswith("0") or digits.startswith("00"):
        return None
    if len(digits) == 10:
        return digits
    mobile = digits[:3] in ("050", "060", "070", "080", "090") or digits[:4] == "0800"
    if len(digits) == 11 and mobile:
        return digits
    return None


def kana(text: str) -> str | None:
    """Furigana in katakana: hiragana and half-width katakana are converted."""
    value = fold(text)  # NFKC turns half-width katakana into full-width
    out = []
    for c in value:
        if "ぁ" <= c <= "ゖ" or c in "ゝゞ":
            c = chr(ord(c) + 0x60)
        out.append(c)
    result = "".join(out)
    if not result or len(result) > KANA_MAX:
        return None
    if all("ァ" <= c <= "ヺ" or c in " ・ーヽヾ" for c in result):
        return result
    return None


def address(text: str) -> str | None:
    """An address: at least a few characters, and not digits alone."""
    if unsafe(text):
        return None
    value = fold(text)
    if len(value) < 4 or len(value) > ADDRESS_MAX:
        return None
    if not any(unicodedata.category(c)[0] == "L" for c in value):
        return None
    return value


def date(text: str) -> dt.date | None:
    """`2022-05-01`, `2022/5/1`, `2022.5.1`, `20220501`, `2022年5月1日`, `令和4年5月1日`, `R4.5.1`.

    Only the calendar is checked here; whether the date is plausible is the caller's.
    """
    value = fold(text).replace(" ", "").lower()
    for pattern in _DATE_PATTERNS:
        found = pattern.match(value)
        if found:
            return _ymd(int(found[1]), int(found[2]), int(found[3]))
    found = _ERA_DATE.match(value)
    if found:
        year = 1 if found[2] == "元" else int(found[2])
        return _ymd(_ERAS[found[1]] + year, int(found[3]), int(found[4]))
    return None


def _ymd(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def years_before(today: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (28 February for 29 February in a common year)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)

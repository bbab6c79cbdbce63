"""What parents type, read as the registration stores it (or refused)."""

from __future__ import annotations

import datetime as dt

import pytest

from domain import normalize


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("153-0061", "1530061"),
        ("1530061", "1530061"),
        ("１５３－００６１", "1530061"),
        ("〒153-0061", "1530061"),
        ("153 0061", "1530061"),
        ("153-006", None),
        ("15300611", None),
        ("153-00A1", None),
        ("", None),
    ],
)
def test_postal_code(typed: str, stored: str | None) -> None:
    assert normalize.postal_code(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("03-1234-5678", "0312345678"),
        ("０３ー１２３４ー５６７８", "0312345678"),
        ("090-1234-5678", "09012345678"),
        ("09012345678", "09012345678"),
        ("050 1234 5678", "05012345678"),
        ("0120-123-456", "0120123456"),
        ("0800-123-4567", "08001234567"),
        ("+81 90-1234-5678", "09012345678"),
        ("(03)1234-5678", "0312345678"),
        ("03-1234-567", None),  # 9 digits
        ("031-2345-67890", None),  # 11 digits, not a mobile prefix
        ("1234567890", None),  # no leading 0
        ("0012345678", None),
        ("03-1234-abcd", None),
    ],
)
def test_phone(typed: str, stored: str | None) -> None:
    assert normalize.phone(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("めぐろ たろう", "メグロ タロウ"),
        ("めぐろ　たろう", "メグロ タロウ"),
        ("メグロ タロウ", "メグロ タロウ"),
        ("ﾒｸﾞﾛ ﾀﾛｳ", "メグロ タロウ"),
        ("ゆうじ", "ユウジ"),
        ("さとー", "サトー"),
        ("目黒 たろう", None),
        ("Meguro", None),
        ("メグロ1", None),
    ],
)
def test_kana(typed: str, stored: str | None) -> None:
    assert normalize.kana(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("目黒 太郎", "目黒 太郎"),
        ("  目黒　 太郎 ", "目黒 太郎"),
        ("佐々木 のぞみ", "佐々木 のぞみ"),
        ("Emma Smith", "Emma Smith"),
        ("目黒 太郎2", None),
        ("@目黒", None),
        ("", None),
        ("   ", None),
    ],
)
def test_name(typed: str, stored: str | None) -> None:
    assert normalize.name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("東京都目黒区中目黒1-1-1", "東京都目黒区中目黒1-1-1"),
        ("東京都目黒区中目黒１－１－１", "東京都目黒区中目黒1-1-1"),
        ("1234", None),
        ("目黒", None),
    ],
)
def test_address(typed: str, stored: str | None) -> None:
    assert normalize.address(typed) == stored


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2022-05-01", dt.date(2022, 5, 1)),
        ("2022/5/1", dt.date(2022, 5, 1)),
        ("2022.05.01", dt.date(2022, 5, 1)),
        ("20220501", dt.date(2022, 5, 1)),
        ("2022年5月1日", dt.date(2022, 5, 1)),
        ("２０２２年５月１日", dt.date(2022, 5, 1)),
        ("2022年 5月 1日", dt.date(2022, 5, 1)),
        ("令和4年5月1日", dt.date(2022, 5, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("R4.5.1", dt.date(2022, 5, 1)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("2022/2/30", None),
        ("2022/13/1", None),
        ("5月1日", None),
        ("きのう", None),
    ],
)
def test_date(typed: str, day: dt.date | None) -> None:
    assert normalize.date(typed) == day


def test_years_before_keeps_the_day_or_falls_back_from_29_february() -> None:
    assert normalize.years_before(dt.date(2024, 4, 20), 7) == dt.date(2017, 4, 20)
    assert normalize.years_before(dt.date(2024, 2, 29), 1) == dt.date(2023, 2, 28)


@pytest.mark.parametrize(
    ("typed", "refused"),
    [
        ("東京都目黒区\x00中目黒1-1-1", True),  # NUL
        ("東京都目黒区中目黒\u202e1-1-1", True),  # right-to-left override
        ("東京都目黒区\u2066中目黒\u2069", True),  # isolates
        ("東京都目黒区\u200f中目黒", True),  # right-to-left mark
        ("東京都目黒区\x85中目黒", True),  # C1 (next line)
        ("東京都目黒区\n中目黒", True),  # a second line
        ("東京都目黒区\u2028中目黒", True),  # line separator
        ("東京都目黒区\x7f中目黒", True),  # DEL
        ("東京都目黒区中目黒1-1-1\n", False),  # a trailing newline is only trimmed
        ("東京都目黒区中目黒1-1-1 🏠", False),
        ("東京都目黒区中目黒「メグロ荘」1-1-1、2階。", False),
        ("👨\u200d👩\u200d👧 目黒", False),  # zero-width joiner inside an emoji
    ],
)
def test_control_and_bidi_characters_are_refused(typed: str, refused: bool) -> None:
    assert normalize.unsafe(typed) is refused
    assert (normalize.address(typed) is None) is refused


def test_names_and_kana_refuse_hidden_characters_too() -> None:
    assert normalize.name("目黒\u202e 太郎") is None
    assert normalize.kana("メグロ\x00タロウ") is None

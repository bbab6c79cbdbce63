"""The bookings export opens safely in a spreadsheet: no formulas, phone numbers as text."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from bot.staff.csv_export import cell, phone_text
from tests.interview_support import registration
from tests.test_admin_api import api  # noqa: F401 (the fixture: tokens for futaba and city)
from tests.test_booking_cli import staff  # noqa: F401
from tests.test_staff_cli import quiet_logs  # noqa: F401


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        ("目黒 太郎", "目黒 太郎"),
        ("就労", "就労"),
        ("", ""),
    ],
)
def test_cells_that_would_be_formulas_are_neutralised(value: str, written: str) -> None:
    assert cell(value) == written


@pytest.mark.parametrize(
    ("digits", "written"),
    [
        ("0312345678", "03-1234-5678"),
        ("09012345678", "090-1234-5678"),
        ("0120123456", "0120-123-456"),
        ("0466123456", "0466-12-3456"),
        ("0501234567", "'0501234567"),  # not a number libphonenumber can lay out
        ("", ""),
    ],
)
def test_phone_numbers_stay_text_with_their_leading_zero(digits: str, written: str) -> None:
    assert phone_text(digits) == written


async def booked_by(harness, parent: str, child: str) -> None:
    """A booking by a parent whose registration holds what an old version let through."""
    bot = harness.bot
    reg = await registration(bot, "U1", child=child, parent=parent)
    await bot.repos.registrations.clear(
        reg.id, bot.services.now(), bot.services.now().date(), dt.date(2025, 3, 31)
    )
    for text in ["予約をする", f"{child}/双葉の園保育園", "4/23(火)", "9:00", "11:00", "就労"]:
        await harness.say("U1", text)
    await harness.say("U1", "確定")


async def test_the_api_export_is_excel_safe(harness, api):  # noqa: F811
    await booked_by(harness, '=HYPERLINK("http://evil.example","x")', "-目黒 太郎")
    url = harness.url + "/admin/api/nurseries/futaba/bookings.csv?from=2024-04-23"
    async with harness._session.get(url, headers={"Authorization": "Bearer ft-secret"}) as r:
        assert r.status == 200 and r.content_type == "text/csv"
        body = await r.read()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM
    text = body.decode("utf-8-sig")
    assert text.endswith("\r\n")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["保護者氏名"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["児童氏名"] == "'-目黒 太郎"
    assert row["電話番号"] == "03-1234-5678"
    assert row["予約日時"] == "2024-04-20 09:00"  # the city's time
    assert row["利用理由"] == "就労"
    for value in row.values():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


async def test_the_cli_export_is_the_same_file(harness, staff):  # noqa: F811
    await booked_by(harness, "目黒 花子", "@目黒")
    code, text, _ = await staff("export", "futaba", "2024-04-20", "2024-04-30")
    assert code == 0 and text.startswith("\ufeff日付,")
    [row] = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert row["児童氏名"] == "'@目黒" and row["電話番号"] == "03-1234-5678"

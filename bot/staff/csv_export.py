"""The staff's CSV files (the bookings export, the operation log), which spreadsheet
software (Excel first) opens safely and correctly.

Safe to open: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return (or the full-width `＝＋－＠`) would be read as a formula, so it gets a
leading `'` (OWASP's advice for CSV injection; the apostrophe stays visible,
which is the point: the cell is shown, never run). Phone numbers are written as
people write them, `03-1234-5678` (libphonenumber's national format): a
spreadsheet keeps that as text, where bare digits would lose their leading 0 and
a `="..."` cell would be a formula itself. UTF-8 with a byte order mark, CRLF
line ends: Excel reads the Japanese right.
"""

from __future__ import annotations

import csv
import io

from aiohttp import web

from bot.staff.params import Export
from domain.labels import national

COLUMNS = ["date", "start", "end", "child", "kana", "birth_date", "sex", "parent", "phone"]
COLUMNS += ["source", "booking", "booked_at"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def cell(value: object) -> str:
    """A cell that cannot run as a formula: text starting like one gets a leading `'`."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def phone_text(digits: str) -> str:
    """`0312345678` as `03-1234-5678`, text to a spreadsheet; a number libphonenumber
    cannot lay out keeps its digits behind a `'`."""
    if not digits:
        return ""
    return national(digits) or "'" + digits


def bookings_csv(export: Export) -> str:
    """One row per held booking, the booking questions' answers as the last columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([export.headers.get(k, k) for k in COLUMNS] + export.questions)
    for row in export.rows:
        data = row.model_dump()
        for key, words in export.values.items():
            data[key] = words.get(data[key], data[key])
        data["booked_at"] = data["booked_at"][:16].replace("T", " ")  # the city's time
        writer.writerow(
            [phone_text(row.phone) if k == "phone" else cell(data[k]) for k in COLUMNS]
            + [cell(row.answers[q]) for q in export.questions]
        )
    return out.getvalue()


def csv_bytes(text: str) -> bytes:
    """UTF-8 with a BOM, so spreadsheet software reads the Japanese."""
    return text.encode("utf-8-sig")


def csv_download(text: str, filename: str) -> web.Response:
    """The CSV as a file to save (admin API and staff console)."""
    return web.Response(
        body=csv_bytes(text),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

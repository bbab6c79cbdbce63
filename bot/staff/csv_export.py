"""The bookings export as CSV that spreadsheet software opens safely and correctly."""

from __future__ import annotations

import csv
import io

from bot.staff.operations import Export

COLUMNS = ["date", "start", "end", "child", "kana", "birth_date", "sex", "parent", "phone"]
COLUMNS += ["source", "booking", "booked_at"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A cell that cannot run as a formula: text starting like one gets a leading `'`."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def bookings_csv(export: Export) -> str:
    """One row per held booking, the booking questions' answers as the last columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS + export.questions)
    for row in export.rows:
        data = row.model_dump()
        writer.writerow(
            [cell(data[k]) for k in COLUMNS] + [cell(row.answers[q]) for q in export.questions]
        )
    return out.getvalue()


def csv_bytes(text: str) -> bytes:
    """UTF-8 with a BOM, so spreadsheet software reads the Japanese."""
    return text.encode("utf-8-sig")

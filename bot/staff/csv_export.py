"""The bookings export as a CSV file staff open in a spreadsheet (Excel first).

Safe to open: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return (or their full-width forms) would be read as a formula, so it gets a
leading `'` (OWASP's advice for CSV injection; the apostrophe stays visible,
which is the point: the cell is shown, never run). Phone numbers are written as
people write them, `03-1234-5678`: a spreadsheet keeps that as text, where bare
digits would lose their leading 0 (a `="..."` cell would be a formula itself).
UTF-8 with a byte order mark, CRLF line ends: Excel reads the Japanese right.
"""

from __future__ import annotations

import csv
import io

import phonenumbers

from flows.domain.bookings import BookingExport

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
COLUMNS = ["date", "start", "end", "child", "kana", "birth_date", "sex", "parent", "phone"]
COLUMNS += ["source", "booking", "booked_at"]


def cell(value: str) -> str:
    """`value` as a cell no spreadsheet will run."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def phone_text(digits: str) -> str:
    """`0312345678` as `03-1234-5678` (libphonenumber's national format), text to a
    spreadsheet; a number it cannot format keeps its digits behind a `'`."""
    if not digits:
        return ""
    try:
        national = phonenumbers.format_number(
            phonenumbers.parse(digits, "JP"), phonenumbers.PhoneNumberFormat.NATIONAL
        )
    except phonenumbers.NumberParseException:
        national = ""
    if national.startswith("0") and "-" in national:
        return national
    return "'" + digits


def bookings_csv(export: BookingExport) -> bytes:
    """The file: a header row, then one row per booking and the answers to the questions."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(c) for c in COLUMNS + export.questions])
    for r in export.rows:
        fixed = [phone_text(r.phone) if c == "phone" else cell(getattr(r, c)) for c in COLUMNS]
        writer.writerow(fixed + [cell(r.answers.get(q, "")) for q in export.questions])
    return out.getvalue().encode("utf-8-sig")

"""Staff operations on seats and bookings (declared once: see bot/staff/operation.py)."""

from __future__ import annotations

from bot.staff.operation import Operation
from bot.staff.params import (
    CancelParams,
    CloseParams,
    DayParams,
    Export,
    ExportParams,
    PhoneBookingParams,
    SeatsDaysParams,
    SeatsParams,
)
from domain.staff import Staff


async def _export(staff: Staff, params: ExportParams) -> Export:
    last = params.last or params.first
    rows = await staff.bookings.export(params.nursery, params.first, last)
    config = staff.services.config
    return Export(
        nursery=params.nursery,
        first=params.first.isoformat(),
        last=last.isoformat(),
        questions=staff.bookings.questions(params.nursery),
        rows=rows,
        headers=config.console.export_columns,
        values={
            "source": config.console.log.values.get("source", {}),
            "sex": {"male": config.messages.label_male, "female": config.messages.label_female},
        },
    )


BOOKING_OPERATIONS: list[Operation] = [
    Operation(
        "seats",
        "a day's seats, bookings and free seats per hour",
        DayParams,
        lambda staff, params: staff.bookings.day_seats(params.nursery, params.date),
        http=("GET", "nurseries/{nursery}/capacity/{date}"),
        positionals=("nursery", "date"),
    ),
    Operation(
        "set-seats",
        "seats per hour on a day (0 closes; opens a closed day)",
        SeatsParams,
        lambda staff, params: staff.bookings.set_capacity(
            params.nursery, params.date, params.seats, params.hours
        ),
        changes=True,
        http=("PUT", "nurseries/{nursery}/capacity/{date}"),
        replay="capacity",
        positionals=("nursery", "date", "seats"),
        before=lambda staff, params: staff.bookings.day_seats(params.nursery, params.date),
    ),
    Operation(
        "set-seats-days",
        "seats per hour for every day of a range, each checked first (0 closes)",
        SeatsDaysParams,
        lambda staff, params: staff.bookings.set_capacity_days(
            params.nursery,
            params.first,
            params.last,
            params.seats,
            params.hours,
            params.keep_closed,
        ),
        changes=True,
        http=("PUT", "nurseries/{nursery}/capacity"),
        positionals=("nursery", "first", "seats"),  # --last: one day without it
    ),
    Operation(
        "closing",
        "the bookings closing a day (臨時休園) would cancel",
        DayParams,
        lambda staff, params: staff.closing.preview(params.nursery, params.date),
        http=("GET", "nurseries/{nursery}/capacity/{date}/closing"),
        positionals=("nursery", "date"),
    ),
    Operation(
        "close-day",
        "close a day that has bookings (臨時休園): each is cancelled, LINE parents told",
        CloseParams,
        lambda staff, params: staff.closing.close(params.nursery, params.date, params.reason),
        changes=True,
        http=("POST", "nurseries/{nursery}/capacity/{date}/close"),
        replay="close_day",
        positionals=("nursery", "date"),
        before=lambda staff, params: staff.bookings.day_seats(params.nursery, params.date),
    ),
    Operation(
        "phone-booking",
        "a booking taken by phone for a registered child, e.g. 2024-04-23 9 12 --child 目黒太郎",
        PhoneBookingParams,
        lambda staff, params: staff.bookings.phone_booking(
            params.nursery,
            params.date,
            params.start,
            params.end,
            params.child,
            params.unregistered,
            params.phone,
            params.idempotency_key,
        ),
        changes=True,
        http=("POST", "nurseries/{nursery}/phone-bookings"),
        created=True,
        replay="phone_booking",
        positionals=("nursery", "date", "start", "end"),
    ),
    Operation(
        "cancel-booking",
        "cancel a child's booking; the parent is told",
        CancelParams,
        lambda staff, params: staff.bookings.cancel_booking(
            params.nursery, params.child, params.date, params.reason
        ),
        changes=True,
        http=("POST", "nurseries/{nursery}/bookings/cancel"),
        replay="cancel",
        positionals=("nursery", "child", "date"),
    ),
    Operation(
        "roster",
        "who comes on a day, with the answers to the booking questions",
        DayParams,
        lambda staff, params: staff.bookings.roster(params.nursery, params.date),
        http=("GET", "nurseries/{nursery}/roster/{date}"),
        positionals=("nursery", "date"),
    ),
    Operation(
        "export",
        "held bookings from FIRST to LAST (inclusive) as CSV",
        ExportParams,
        _export,
        http=("GET", "nurseries/{nursery}/bookings.csv"),
        output="csv",
        positionals=("nursery", "first", "last?"),
    ),
]

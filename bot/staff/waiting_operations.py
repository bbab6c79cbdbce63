"""Staff operations on the キャンセル待ち line (declared once: see bot/staff/operation.py)."""

from __future__ import annotations

from bot.staff.operation import Operation
from bot.staff.params import DayParams, WaitingParams
from domain.waiting_staff import WaitingStaff

WAITING_OPERATIONS: list[Operation] = [
    Operation(
        "waiting-list",
        "a day's キャンセル待ち line, first come first: who, hours, since when, offered until",
        DayParams,
        lambda staff, params: WaitingStaff(staff.services).line(params.nursery, params.date),
        http=("GET", "nurseries/{nursery}/waiting-list/{date}"),
        positionals=("nursery", "date"),
    ),
    Operation(
        "remove-waiting",
        "take a child off a day's キャンセル待ち line (an offer passes on); the parent is told",
        WaitingParams,
        lambda staff, params: WaitingStaff(staff.services).remove(
            params.nursery, params.child, params.date, params.reason
        ),
        changes=True,
        http=("POST", "nurseries/{nursery}/waiting-list/remove"),
        replay="remove_waiting",
        positionals=("nursery", "child", "date"),
        before=lambda staff, params: WaitingStaff(staff.services).entry(
            params.nursery, params.child, params.date
        ),
    ),
]

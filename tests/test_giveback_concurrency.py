"""Give-backs in flight are not crashes: the repair leaves them to the process doing them.

Two app instances share one store and every database call gives way to other tasks
(the `interleaved` fixture), so parents cancelling, parents whose confirmation finds
the day full (a failing give-back) and parents opening 予約をする / 予約を取り消す (each
runs the ledger's repair first) all interleave between any two steps.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from structlog.testing import capture_logs

from domain.ledger import Ledger
from flows.base import Input
from storage.bookings import BookingDoc
from tests.interview_support import registration
from tests.test_booking_concurrency import DAY, instances, interleaved, said

__all__ = ["interleaved"]  # the fixture, used by name below

CANCELLING = 40  # parents cancelling at once
LATE = 30  # parents confirming a booking when the day is already full
LOOKING = 30  # parents opening the booking or cancel menu meanwhile


async def test_many_give_backs_in_flight_are_never_repaired(store, clock, config, interleaved):
    bots = await instances(store, clock, config, 2)
    staff, repos = bots[0].staff.bookings, bots[0].repos
    await staff.set_capacity("futaba", DAY, CANCELLING)
    cancellers = [f"C{i:02d}" for i in range(CANCELLING)]
    late = [f"L{i:02d}" for i in range(LATE)]
    lookers = [f"W{i:02d}" for i in range(LOOKING)]
    for user in cancellers + late + lookers:
        reg = await registration(bots[0], user, child=f"目黒 {user}")
        await repos.registrations.clear(
            reg.id, clock.now(), clock.now().date(), dt.date(2025, 3, 31)
        )
    for user in late:  # on the summary while seats were free
        steps = ["予約をする", f"目黒 {user}/双葉の園保育園", "4/23(火)", "9:00", "11:00", "就労"]
        for n, text in enumerate(steps):
            out = await bots[0].dialog.handle(user, Input("text", text=text), f"{user}-{n}")
        assert "以下の内容で予約します" in said(out)
    ledger = Ledger(bots[0].services)
    for i, user in enumerate(cancellers):  # each holds 9:00-11:00, and is at はい/いいえ
        reg = (await repos.registrations.for_user(user))[0]
        intent = BookingDoc(
            _id=f"bk{i:02d}", nursery="futaba", date=DAY.isoformat(), start=9, end=11,
            user=user, registration=reg.id, child_name=reg.child_name, created_at=clock.now(),
        )  # fmt: skip
        assert await ledger.book(intent) == "booked"
        await bots[0].dialog.handle(user, Input("text", text="予約を取り消す"), f"{user}-list")
        out = await bots[0].dialog.handle(user, Input("postback", data=f"b|bk{i:02d}"), f"{user}-p")
        assert "キャンセルしてよろしいですか" in said(out)

    menus = ["予約をする", "予約を取り消す"]
    said_now = [(u, "はい") for u in cancellers] + [(u, "確定") for u in late]
    said_now += [(u, menus[i % 2]) for i, u in enumerate(lookers)]
    with capture_logs() as logs:
        outcomes = await asyncio.gather(
            *(
                bots[i % 2].dialog.handle(user, Input("text", text=text), f"{user}-go")
                for i, (user, text) in enumerate(said_now)
            )
        )

    events = Counter(e["event"] for e in logs)
    assert events["booking_repaired"] == 0
    assert events["booking_cancelled"] == CANCELLING
    answered = [said(o) for o in outcomes]
    assert all(answered), "every parent gets an answer"
    assert all("予約をキャンセルしました" in t for t in answered[:CANCELLING])
    # the late parents raced the cancellations: each was either booked or told it is full
    for text in answered[CANCELLING : CANCELLING + LATE]:
        assert "予約が完了しました" in text or "予約枠が埋まってしまいました" in text
    statuses = Counter([d["status"] async for d in repos.bookings._c.find({}, {"status": 1})])
    assert statuses["cancelled"] == CANCELLING
    assert statuses["booked"] + statuses["failed"] == LATE
    assert set(statuses) <= {"cancelled", "booked", "failed"}
    day = await repos.seats.day("futaba", DAY)
    assert day.taken(9) == statuses["booked"] == day.taken(10)

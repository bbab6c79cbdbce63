"""A full day with a キャンセル待ち line, as staff find it: shared by the staff side's tests
(operations, admin API, CLI, console)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.registrations import Registrations
from domain.waiting import Waiting
from storage.registrations import RegistrationDoc
from tests.interview_support import registration

DAY = dt.date(2024, 4, 23)  # a Tuesday; the tests' clock is 2024-04-20 9:00
EXPIRY = dt.date(2025, 3, 31)
# user, child, furigana, parent, phone, hours waited for
WAITING = [
    ("U1", "目黒 太郎", "メグロ タロウ", "目黒 花子", "0312345678", 9, 12),
    ("U2", "鷹番 次郎", "タカバン ジロウ", "鷹番 美咲", "09011112222", 10, 12),
    ("U3", "中町 さくら", "ナカチョウ サクラ", "中町 健", "0357778888", 9, 11),
]


async def cleared(bot: Any, user: str, child: str, kana: str, parent: str, phone: str) -> Any:
    reg: RegistrationDoc = await registration(
        bot, user, child=child, kana=kana, parent=parent, phone=phone
    )
    now = bot.services.now()
    await bot.repos.registrations.clear(reg.id, now, now.date(), EXPIRY)
    life = await Registrations(bot.services).life(reg.id, slots=False)
    assert life is not None and life.state == "cleared"
    return life


async def day_with_a_line(bot: Any, day: dt.date = DAY) -> dict[str, str]:
    """Two seats an hour on `day`, both taken all day (a LINE child booked by phone and a
    child not on LINE); three children join the line a minute apart; then staff cancel the
    phone booking, so the first in line (目黒 太郎, 9:00-12:00) is offered the seats until
    9:33 and the other two (their hours overlap the hold) wait. Their entry ids by child."""
    staff = bot.staff.bookings
    await staff.set_capacity("futaba", day, 2)
    aoi = await cleared(bot, "U9", "上目黒 あおい", "カミメグロ アオイ", "上目黒 優", "0311112222")
    await staff.phone_booking("futaba", day, 8, 17, aoi.reg.id)
    phone = await staff.phone_booking(
        "futaba", day, 8, 17, "電話 一郎", unregistered=True, phone="0355550001"
    )
    clock, waiting, out = bot.services.clock, Waiting(bot.services), {}
    for user, child, kana, parent, tel, start, end in WAITING:
        life = await cleared(bot, user, child, kana, parent, tel)
        joined = await waiting.join(life, day, start, end, {"reason": "就労"})
        assert joined.outcome == "joined" and joined.entry is not None, joined
        out[child] = joined.entry.key
        clock.advance(dt.timedelta(minutes=1))
    await staff.cancel_booking("futaba", phone.booking, day)
    states = [(e.child_name, e.status) for e in await waiting.line("futaba", day)]
    assert states == [
        ("目黒 太郎", "offered"),
        ("鷹番 次郎", "waiting"),
        ("中町 さくら", "waiting"),
    ]
    return out

"""キャンセル待ち in the parent's dialogs: a full day in the day list and joining its line
(flows/booking.py, flows/waiting.py), answering an offer from any flow
(flows/offer_answers.py through the engine), and the line in 予約を取り消す (flows/cancel.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from domain.replies import Carousel, Sticker
from flows.base import Input
from flows.engine import Dialog, Outcome
from flows.registry import FLOWS
from tests.flows.conftest import labels, texts
from tests.waiting_support import DAY, World, book, cleared, fill, world

D2, D3 = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)
CHILD = "目黒 太郎/双葉の園保育園"


class Chat:
    """One LINE user talking to the dialog engine."""

    def __init__(self, w: World, user: str) -> None:
        self.w, self.user = w, user
        self.dialog = Dialog(w.services, FLOWS, w.repos.sessions)
        self.events = itertools.count()

    async def say(self, text: str) -> Outcome:
        return await self.send(Input("text", text))

    async def postback(self, data: str) -> Outcome:
        return await self.send(Input("postback", data=data))

    async def send(self, inp: Input) -> Outcome:
        return await self.dialog.handle(self.user, inp, f"{self.user}-{next(self.events)}")


async def _setup(store: Any, clock: Any, config: Any) -> tuple[World, Chat]:
    w = await world(store, clock, config)
    await fill(w)  # DAY (4/23) full: its one seat an hour booked by phone
    await cleared(w, "U1")
    return w, Chat(w, "U1")


async def _free(w: World) -> None:
    """Staff cancel the phone booking: DAY's seats come free (and go to its line)."""
    [phone] = [b.id for b in await w.repos.bookings.on_day("futaba", DAY)]
    await w.staff.cancel_booking("futaba", phone, DAY)


async def _join(chat: Chat, start: str = "9:00", end: str = "12:00") -> Outcome:
    await chat.say("予約をする")
    await chat.say(CHILD)
    await chat.say("4/23(火) 満席・キャンセル待ち")
    await chat.say(start)
    await chat.say(end)
    await chat.say("就労")
    return await chat.say("はい")


def _text(out: Outcome) -> str:
    return "\n".join(texts(out.replies))


async def test_a_full_day_is_listed_by_its_date_and_its_line_joined(store, clock, config):
    w, chat = await _setup(store, clock, config)
    await chat.say("予約をする")
    out = await chat.say(CHILD)
    shown = labels(out.replies)
    assert shown[1:4] == ["4/22(月) 残り3席", "4/23(火) 満席・キャンセル待ち", "4/24(水) 残り3席"]

    out = await chat.say("4/23(火) 満席・キャンセル待ち")
    assert "4/23(火)は満席です" in _text(out)
    # every hour the nursery opens, full as they are, for a band of 2 hours at least
    assert labels(out.replies) == [f"{h}:00" for h in range(8, 16)]
    assert (out.flow, out.state) == ("waiting", "start_hour")
    out = await chat.say("9:00")
    assert labels(out.replies) == [f"{h}:00" for h in range(11, 18)]
    out = await chat.say("10:00")  # too short: the reason, and the same question
    assert "終了時刻は11:00以降を選んでください" in _text(out)
    assert out.state == "end_hour"
    out = await chat.say("12:00")
    assert labels(out.replies) == ["就労", "通院・出産", "冠婚葬祭", "リフレッシュ", "その他"]
    out = await chat.say("就労")
    assert "日時：4/23(火) 9:00～12:00" in _text(out) and "利用理由：就労" in _text(out)
    assert "キャンセル待ちに登録しますか？" in _text(out)
    assert labels(out.replies) == ["はい", "いいえ"]

    out = await chat.say("はい")
    assert "キャンセル待ちに登録しました（1番目）" in _text(out)
    assert "30分間" in _text(out) and out.flow is None
    [entry] = await w.waiting.of_user("U1")
    assert (entry.day, entry.start, entry.end, entry.status) == (DAY, 9, 12, "waiting")
    assert entry.answers == {"reason": "就労"}
    # a day waited for is listed no more
    await chat.say("予約をする")
    out = await chat.say(CHILD)
    assert not [label for label in labels(out.replies) if label.startswith("4/23")]


async def test_no_at_the_end_joins_nothing(store, clock, config):
    w, chat = await _setup(store, clock, config)
    await _join(chat)  # joined
    await w.waiting.leave("U1", (await w.waiting.of_user("U1"))[0].key)
    await chat.say("予約をする")
    await chat.say(CHILD)
    for answer in ("4/23(火) 満席・キャンセル待ち", "9:00", "12:00", "就労"):
        await chat.say(answer)
    out = await chat.say("いいえ")
    assert texts(out.replies) == [w.services.msg.waiting.join_stopped]
    assert await w.waiting.of_user("U1") == []


async def test_a_seat_freed_before_yes_is_to_be_booked_instead(store, clock, config):
    w, chat = await _setup(store, clock, config)
    await chat.say("予約をする")
    await chat.say(CHILD)
    for answer in ("4/23(火) 満席・キャンセル待ち", "9:00", "12:00", "就労"):
        await chat.say(answer)
    await _free(w)
    out = await chat.say("はい")
    assert "4/23(火)に空きが出たため、キャンセル待ちは登録していません" in _text(out)
    assert await w.waiting.of_user("U1") == [] and out.flow is None


async def test_a_full_day_freed_since_the_list_goes_on_as_a_booking(store, clock, config):
    w, chat = await _setup(store, clock, config)
    await chat.say("予約をする")
    await chat.say(CHILD)
    await _free(w)
    out = await chat.say("4/23(火) 満席・キャンセル待ち")
    assert "4/23(火)に空きが出たため、このまま予約できます" in _text(out)
    assert (out.flow, out.state) == ("booking", "start_hour")


async def test_an_offer_is_taken_in_the_middle_of_another_flow(store, clock, config):
    w, chat = await _setup(store, clock, config)
    await _join(chat)
    await _free(w)  # the seats go to the line
    [offer] = w.pushes.offers("U1")
    await chat.say("児童の登録")
    before = await chat.say("双葉の園保育園")
    assert (before.flow, before.state) == ("registration", "parent_name")

    out = await chat.postback(f"w|take|{offer}")
    assert isinstance(out.replies[0], Sticker)
    text = _text(out)
    assert "一時保育の予約が完了しました" in text and "双葉の園保育園　4/23(火) 9:00～12:00" in text
    assert "LINEでのキャンセルは4/22(月) 17:00まで可能です" in text
    # the registration goes on: its question again
    assert texts(out.replies)[-1] == texts(before.replies)[-1]
    assert (out.flow, out.state) == ("registration", "parent_name")
    assert await w.waiting.childcare.held_dates(
        (await w.waiting.childcare.children("U1"))[0][0]
    ) == {DAY.isoformat()}

    out = await chat.postback(f"w|take|{offer}")  # a second tap: booked once
    assert "この枠はすでに予約済みです" in _text(out)
    assert not any(isinstance(r, Sticker) for r in out.replies)
    assert len(await w.repos.bookings.of_user("U1", DAY)) == 1


async def test_declining_outside_a_flow_passes_the_offer_on(store, clock, config):
    w, chat = await _setup(store, clock, config)
    await _join(chat)
    clock.advance(dt.timedelta(minutes=1))
    u2 = await cleared(w, "U2", child="中目 次郎")
    assert (await w.waiting.join(u2, DAY, 10, 12)).outcome == "joined"
    await _free(w)
    [offer] = w.pushes.offers("U1")

    out = await chat.postback(f"w|decline|{offer}")
    assert texts(out.replies) == [
        "4/23(火) 9:00～12:00のご案内を辞退しました。"
        "目黒 太郎さんの4/23(火)のキャンセル待ちは終了しました。"
    ]
    assert out.flow is None and labels(out.replies) == []  # no menu after it
    assert len(w.pushes.offers("U2")) == 1  # the next in line
    out = await chat.postback(f"w|decline|{offer}")
    assert texts(out.replies) == [w.services.msg.waiting.offer_already_declined]
    out = await chat.postback(f"w|take|{offer}")
    assert texts(out.replies) == [w.services.msg.waiting.offer_gone]
    out = await chat.postback("w|take|no-such-offer")
    assert texts(out.replies) == [w.services.msg.waiting.offer_gone]


async def test_an_offer_a_child_cannot_take_for_its_days_says_why(store, clock, config):
    w, chat = await _setup(store, clock, config)
    await _join(chat)
    await _free(w)
    [offer] = w.pushes.offers("U1")
    life = (await w.waiting.childcare.children("U1"))[0][0]
    await book(w, life, D2)
    await book(w, life, D3)
    out = await chat.postback(f"w|take|{offer}")
    assert (
        "目黒 太郎さんは既に2日分の予約を保持しているため、4/23(火)の予約はできませんでした"
        in _text(out)
    )
    assert [e.status for e in await w.waiting.of_user("U1")] == ["waiting"]


async def test_the_cancel_list_shows_the_line_and_leaving_is_confirmed(store, clock, config):
    w, chat = await _setup(store, clock, config)
    await _join(chat)
    [entry] = await w.waiting.of_user("U1")
    out = await chat.say("予約を取り消す")
    [carousel] = [r for r in out.replies if isinstance(r, Carousel)]
    [column] = carousel.columns
    assert column.title == "双葉の園保育園（キャンセル待ち）"
    assert "4/23(火) 9:00～12:00" in column.text and "1番目にお待ちです" in column.text
    assert [(b.label, b.data) for b in column.buttons] == [
        ("キャンセル待ちをやめる", f"w|leave|{entry.key}")
    ]
    out = await chat.postback(f"w|leave|{entry.key}")
    assert "このキャンセル待ちをやめてよろしいですか？" in _text(out)
    assert labels(out.replies) == ["はい", "いいえ"]
    out = await chat.say("いいえ")
    assert texts(out.replies) == [w.services.msg.waiting.leave_kept]
    assert len(await w.waiting.of_user("U1")) == 1

    await chat.say("予約を取り消す")
    await chat.postback(f"w|leave|{entry.key}")
    out = await chat.say("はい")
    assert texts(out.replies) == [w.services.msg.waiting.left]
    assert await w.waiting.of_user("U1") == []
    out = await chat.say("予約を取り消す")
    assert texts(out.replies)[0] == w.services.msg.cancel_none


async def test_an_open_offer_is_listed_with_its_own_answers(store, clock, config):
    w, chat = await _setup(store, clock, config)
    await _join(chat)
    await _free(w)
    [offer] = w.pushes.offers("U1")
    out = await chat.say("予約を取り消す")
    [carousel] = [r for r in out.replies if isinstance(r, Carousel)]
    [column] = carousel.columns
    assert "4/20(土) 9:30までこの枠をお取りしています" in column.text
    assert [b.data for b in column.buttons] == [f"w|take|{offer}", f"w|decline|{offer}"]
    out = await chat.postback(f"w|take|{offer}")
    assert "一時保育の予約が完了しました" in _text(out)

"""The loading animation: started before the slow steps of a booking, and only those."""

from __future__ import annotations

from qa.screen import texts
from tests.test_booking import cleared

USER = "Uloading"


async def test_the_calendar_and_the_confirmation_start_the_loading_animation(harness):
    await cleared(harness.bot, USER)
    started = []
    for text in ["予約をする", "目黒 太郎/双葉の園保育園", "4/23(火)", "9:00", "11:00", "就労"]:
        await harness.say(USER, text)
        started.append(len(harness.line.loading))
    # only the child's answer (it brings the calendar) started it
    assert started == [0, 1, 1, 1, 1, 1]
    sent = await harness.say(USER, "確定")
    assert "一時保育の予約が完了しました" in "".join(t for s in sent for t in texts(s.messages))
    assert harness.line.loading == [(USER, 20), (USER, 20)]


async def test_a_refused_loading_animation_does_not_stop_the_answer(harness):
    await cleared(harness.bot, USER)
    await harness.say(USER, "予約をする")
    harness.line.fail_next(500)  # the loading call is the first request of the next step
    sent = await harness.say(USER, "目黒 太郎/双葉の園保育園")
    assert harness.line.loading == []
    assert any("利用希望日を選んでください" in t for s in sent for t in texts(s.messages))


async def test_no_loading_animation_in_a_group_chat(harness):
    await cleared(harness.bot, USER)
    await harness.say(USER, "予約をする")
    event = harness.text(USER, "目黒 太郎/双葉の園保育園")
    event["source"] = {"type": "group", "groupId": "Cgroup", "userId": USER}
    await harness.send(USER, event)
    assert harness.line.loading == []

"""A rich menu switch (the city's menu opening the 一時保育 menu, or its back strip) through the
webhook: LINE shows the other menu by itself, so the bot says nothing and touches no flow."""

from __future__ import annotations

from typing import Any

from qa.harness import Harness
from tests.interview_support import screen

OURS, CITY = "meguro-ichiji-hoiku", "meguro-city-menu"


def switched(h: Harness, user: str, alias: str) -> dict[str, Any]:
    """The postback LINE sends when the user taps a `richmenuswitch` area."""
    event = h._base(user, "postback")
    event["postback"] = {
        "data": f"richmenu-switch:{alias}",
        "params": {"newRichMenuAliasId": alias, "status": "SUCCESS"},
    }
    return event


async def test_opening_the_menu_or_going_back_gets_no_reply(harness):
    for alias in (OURS, CITY):
        event = switched(harness, "Ua", alias)
        assert await harness.send("Ua", event) == []
        assert event["replyToken"] in harness.line.tokens  # the reply token is left unused
    assert harness.line.sent == []
    session = await harness.bot.repos.sessions.get("Ua")  # no flow started, nothing stored
    assert (session.flow, session.version, session.last_event) == (None, 0, None)


async def test_a_switch_mid_registration_leaves_the_waiting_question_to_be_answered(harness):
    await harness.say("Ua", "児童の登録")
    assert screen(await harness.say("Ua", "双葉の園保育園")) == [
        "申請者（保護者）の氏名を入力してください。"
    ]
    before = await harness.bot.repos.sessions.get("Ua")
    # the parent goes back to the city's menu and opens the 一時保育 menu again
    assert await harness.send("Ua", switched(harness, "Ua", CITY)) == []
    assert await harness.send("Ua", switched(harness, "Ua", OURS)) == []
    after = await harness.bot.repos.sessions.get("Ua")
    keep = {"flow", "state", "data", "version"}
    assert after.model_dump(include=keep) == before.model_dump(include=keep)
    # the name typed next answers the question that was waiting
    assert screen(await harness.say("Ua", "目黒 一郎")) == [
        "郵便番号を入力してください（例：153-0061）。"
    ]
    assert (await harness.bot.repos.sessions.get("Ua")).data["parent_name"] == "目黒 一郎"


async def test_a_stale_button_still_gets_its_usual_answer(harness):
    await harness.say("Ua", "児童の登録")
    await harness.say("Ua", "双葉の園保育園")
    # a postback with params that are not a switch (a date picked on an old picker)
    old = harness.postback("Ua", "something-old", "2024-01-01")
    assert screen(await harness.send("Ua", old)) == [
        "このボタンは現在の操作では使えません。",
        "申請者（保護者）の氏名を入力してください。",
    ]

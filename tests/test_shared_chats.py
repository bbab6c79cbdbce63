"""Groups and rooms: personal flows run only in one-to-one chats; nothing is kept for a group."""

from __future__ import annotations

from typing import Any

from qa.screen import buttons, texts

COLLECTIONS = ("parked_events", "sessions", "registrations", "bookings", "users")


def _in(harness, event: dict[str, Any], chat: str, kind: str, user: str | None) -> dict[str, Any]:
    """`event` as LINE sends it from a group or room (`user` None: a room without userId);
    its reply token answers into the group or room."""
    event["source"] = {"type": kind, f"{kind}Id": chat, **({"userId": user} if user else {})}
    if "replyToken" in event:
        harness.line.issue_token(event["replyToken"], chat)
    return event


async def _stored(harness) -> dict[str, int]:
    db = harness.bot.store.db
    return {c: await db[c].count_documents({}) for c in COLLECTIONS}


def _said(sent) -> list[str]:
    return [t for s in sent for t in texts(s.messages)]


async def test_menu_keywords_in_a_group_get_only_the_notice_and_nothing_is_kept(harness):
    notice = harness.config.messages.shared_chat_notice
    for keyword in ("予約を取り消す", "児童の登録"):
        event = _in(harness, harness.text("U1", keyword), "C-group", "group", "U1")
        assert await harness.post(harness.payload(event)) == 200
        await harness.settle()
        got = harness.line.take("C-group")
        assert _said(got) == [notice]
        assert all(buttons(s.messages) == [] for s in got)
    # A button's postback forwarded into the group is answered the same way.
    event = _in(harness, harness.postback("U1", "cancel:b1"), "C-group", "group", "U1")
    assert await harness.post(harness.payload(event)) == 200
    await harness.settle()
    assert _said(harness.line.take("C-group")) == [notice]
    assert harness.line.take("U1") == []
    assert await _stored(harness) == dict.fromkeys(COLLECTIONS, 0)


async def test_a_room_without_user_ids_shares_no_session(harness):
    notice = harness.config.messages.shared_chat_notice
    first = _in(harness, harness.text("", "児童の登録"), "R-room", "room", None)
    second = _in(harness, harness.text("", "双葉の園保育園"), "R-room", "room", None)
    assert await harness.post(harness.payload(first, second)) == 200
    await harness.settle()
    # The keyword gets the notice; the answer to a question nobody was asked gets nothing.
    assert _said(harness.line.take("R-room")) == [notice]
    assert await _stored(harness) == dict.fromkeys(COLLECTIONS, 0)


async def test_joining_a_group_greets_with_the_notice_and_chatter_is_ignored(harness):
    join = _in(harness, harness._base("", "join"), "C-family", "group", None)
    chatter = _in(harness, harness.text("U2", "明日は雨かな"), "C-family", "group", "U2")
    sticker = _in(harness, harness._base("U2", "message"), "C-family", "group", "U2")
    sticker["message"] = {"type": "sticker", "id": "9", "packageId": "1", "stickerId": "1"}
    assert await harness.post(harness.payload(join, chatter, sticker)) == 200
    await harness.settle()
    assert _said(harness.line.take("C-family")) == [harness.config.messages.shared_chat_notice]
    assert await _stored(harness) == dict.fromkeys(COLLECTIONS, 0)


async def test_the_same_parent_one_to_one_still_registers(harness):
    group = _in(harness, harness.text("U1", "児童の登録"), "C-group", "group", "U1")
    await harness.post(harness.payload(group))
    await harness.settle()
    harness.line.take("C-group")
    said = _said(await harness.say("U1", "児童の登録"))
    msg = harness.config.messages
    assert said == [msg.registration_privacy, msg.registration_ask_nursery]

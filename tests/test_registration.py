"""Child registration: what is stored, the date picker, what is kept and what is logged."""

from __future__ import annotations

import io

import structlog

from bot.logs import configure
from qa.screen import buttons
from tests.interview_support import lose_next_session_save, register_by_chat, screen

ANSWERS = [
    "児童の登録",
    "桑の実中目黒保育園",
    "目黒　一郎",
    "１５３－００６１",
    "東京都目黒区中目黒２－２－２",
]
ANSWERS += ["０９０ー１２３４ー５６７８", "目黒 花", "めぐろ はな"]


async def _to_birth_date(h, user: str) -> list:
    sent: list = []
    for text in ANSWERS:
        sent = await h.say(user, text)
    return sent


async def test_the_registration_is_stored_normalised_for_this_user_and_nursery(harness):
    await _to_birth_date(harness, "Ua")
    await harness.say("Ua", "2023年1月15日")
    await harness.say("Ua", "女")
    shown = screen(await harness.say("Ua", "はい"))
    assert "[目黒 花/桑の実中目黒保育園]" in shown
    [reg] = await harness.bot.repos.registrations.for_user("Ua")
    assert reg.model_dump(
        include={
            "user",
            "nursery",
            "parent_name",
            "postal_code",
            "address",
            "phone",
            "child_name",
            "child_kana",
            "birth_date",
            "sex",
        }
    ) == {
        "user": "Ua",
        "nursery": "kuwanomi",
        "parent_name": "目黒 一郎",
        "postal_code": "1530061",
        "address": "東京都目黒区中目黒2-2-2",
        "phone": "09012345678",
        "child_name": "目黒 花",
        "child_kana": "メグロ ハナ",
        "birth_date": "2023-01-15",
        "sex": "female",
    }
    assert not reg.cleared()
    assert await harness.bot.repos.registrations.for_user("Ub") == []


async def test_a_confirmation_handled_again_after_a_session_conflict_registers_once(
    harness, monkeypatch
):
    """The registration is stored, then the session's save loses to another process, so
    the same はい is handled again: the parent hears it was registered (not that the child
    already is), and the child is registered once."""
    await _to_birth_date(harness, "Ua")
    await harness.say("Ua", "2023年1月15日")
    await harness.say("Ua", "女")
    conflicts = lose_next_session_save(monkeypatch, harness.bot.repos.sessions)
    shown = screen(await harness.say("Ua", "はい"))
    assert not conflicts
    assert harness.bot.config.messages.registration_done in shown, shown
    assert "[目黒 花/桑の実中目黒保育園]" in shown
    assert len(await harness.bot.repos.registrations.for_user("Ua")) == 1


async def test_the_date_picker_offers_no_day_after_today(harness):
    sent = await _to_birth_date(harness, "Ua")
    [picker] = [b for s in sent for b in buttons(s.messages)]
    assert picker.action["type"] == "datetimepicker" and picker.action["mode"] == "date"
    assert picker.action["max"] == "2024-04-20"
    assert picker.action["min"] == "2017-04-20"


async def test_a_picked_date_is_checked_too(harness):
    sent = await _to_birth_date(harness, "Ua")
    data = next(b for s in sent for b in buttons(s.messages)).action["data"]
    shown = screen(await harness.send("Ua", harness.postback("Ua", data, "2024-05-01")))
    assert shown[0] == "未来の日付は入力できません。"
    assert "[日付を選ぶ]" in shown
    shown = screen(await harness.send("Ua", harness.postback("Ua", data, "2023-03-03")))
    assert "[男]" in shown and "[女]" in shown


async def test_an_old_button_while_a_question_waits_for_text_is_reasked(harness):
    await harness.say("Ua", "児童の登録")
    await harness.say("Ua", "双葉の園保育園")
    shown = screen(await harness.send("Ua", harness.postback("Ua", "something-old")))
    assert shown == [
        "このボタンは現在の操作では使えません。",
        "申請者（保護者）の氏名を入力してください。",
    ]


async def test_answers_are_kept_only_while_the_flow_runs(harness):
    sessions = harness.bot.repos.sessions
    await _to_birth_date(harness, "Ua")
    assert (await sessions.get("Ua")).data["phone"] == "09012345678"
    await harness.say("Ua", "面談予約の再開")  # a keyword asks first, then leaves the flow
    assert (await sessions.get("Ua")).data["phone"] == "09012345678"
    await harness.say("Ua", "はい")
    assert "phone" not in (await sessions.get("Ua")).data
    await register_by_chat(harness, "Ub")
    kept = (await sessions.get("Ub")).data
    assert not {"parent_name", "phone", "address", "postal_code", "birth_date"} & set(kept)


async def test_nothing_typed_is_logged(harness):
    buf = io.StringIO()
    before = structlog.get_config()
    configure("DEBUG", stream=buf)
    try:
        await _to_birth_date(harness, "Ua")
        await harness.say("Ua", "2023-01-15")
        await harness.say("Ua", "女")
        await harness.say("Ua", "はい")
    finally:
        structlog.configure(**before)
    text = buf.getvalue()
    assert "registration" in text  # the flow was logged...
    for needle in ("目黒", "１５３", "1530061", "09012345678", "2023-01-15", "メグロ", "2-2-2"):
        assert needle not in text  # ...but nothing the parent typed

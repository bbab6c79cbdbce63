"""Typed answers with control or text-direction characters are refused, with the reason."""

from __future__ import annotations

import pytest

from tests.interview_support import screen

TO_ADDRESS = ["児童の登録", "双葉の園保育園", "目黒 花子", "153-0061"]
REASON = "改行・制御文字・文字の向きを変える記号は使えません"


@pytest.mark.parametrize(
    "typed",
    ["東京都目黒区\x00中目黒1-1-1", "東京都目黒区中目黒\u202e1-1-1", "東京都目黒区\n中目黒1-1-1"],
)
async def test_an_address_with_hidden_characters_is_reasked_and_not_kept(harness, typed):
    for text in TO_ADDRESS:
        await harness.say("U1", text)
    shown = screen(await harness.say("U1", typed))
    assert any(REASON in t for t in shown)
    assert "住所を入力してください。" in shown
    session = await harness.bot.repos.sessions.get("U1")
    assert session.state == "address" and "address" not in session.data


async def test_emoji_and_japanese_punctuation_are_kept(harness):
    for text in TO_ADDRESS:
        await harness.say("U1", text)
    shown = screen(await harness.say("U1", "東京都目黒区中目黒1-1-1「メグロ荘」2階🏠"))
    assert "電話番号を入力してください（例：03-1234-5678）。" in shown
    session = await harness.bot.repos.sessions.get("U1")
    assert session.data["address"] == "東京都目黒区中目黒1-1-1「メグロ荘」2階🏠"


async def test_a_name_with_a_direction_override_gets_the_reason_too(harness):
    await harness.say("U1", "児童の登録")
    await harness.say("U1", "双葉の園保育園")
    shown = screen(await harness.say("U1", "目黒\u202e 花子"))
    assert any(REASON in t for t in shown)
    assert "申請者（保護者）の氏名を入力してください。" in shown

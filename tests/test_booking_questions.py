"""A nursery's booking questions come from config: none, one or several, asked in order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from domain.config import AppConfig
from domain.replies import Sticker, Text
from flows.base import Input
from qa.harness import Harness
from storage.clock import SequentialIds
from tests.interview_support import registration

CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"
ALLERGY = {
    "id": "allergy",
    "label": "アレルギー",
    "text": "食物アレルギーはありますか？",
    "choices": ["なし", "あり"],
}


@pytest.fixture
async def bot(clock, store):
    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    raw["nurseries"][0]["questions"] = [*raw["nurseries"][0]["questions"], ALLERGY]  # futaba
    raw["nurseries"][1]["questions"] = []  # angelica asks nothing
    config = AppConfig.model_validate(raw)
    async with Harness(clock=clock, config=config, ids=SequentialIds(), store=store) as h:
        bot = h.bot
        for nursery, child in (("futaba", "目黒 太郎"), ("angelica", "目黒 次郎")):
            reg = await registration(bot, "U1", nursery=nursery, child=child)
            await bot.repos.registrations.clear(
                reg.id, bot.services.now(), bot.services.now().date(), dt.date(2025, 3, 31)
            )
        yield bot


async def walk(bot, *texts: str) -> list[str]:
    """Send the texts in turn; what the bot said to the last one."""
    out = None
    for i, text in enumerate(texts):
        out = await bot.dialog.handle("U1", Input("text", text=text), f"{text}-{i}-{id(texts)}")
    assert out is not None
    return [r.text for r in out.replies if isinstance(r, Text)]


async def test_several_questions_are_asked_in_order_and_shown_in_the_summary(bot):
    said = await walk(
        bot, "予約をする", "目黒 太郎/双葉の園保育園", "4/23(火) 残り3席", "9:00", "11:00"
    )
    assert said[-1] == "利用理由を選んでください。"
    said = await walk(bot, "就労")
    assert said[-1] == ALLERGY["text"]
    said = await walk(bot, "はい")  # not one of the choices: asked again
    assert said[-1] == ALLERGY["text"]
    said = await walk(bot, "あり")
    assert "利用理由：就労" in said[-1] and "アレルギー：あり" in said[-1]
    out = await bot.dialog.handle("U1", Input("text", text="確定"), "confirm-1")
    assert any(isinstance(r, Sticker) for r in out.replies)
    [booking] = await bot.repos.bookings.of_user("U1", dt.date(2024, 4, 20))
    assert booking.answers == {"reason": "就労", "allergy": "あり"}


async def test_a_nursery_without_questions_goes_from_the_end_hour_to_the_summary(bot):
    said = await walk(
        bot,
        "予約をする",
        "目黒 次郎/アンジェリカ下目黒2丁目保育園",
        "4/23(火) 残り3席",
        "9:00",
        "11:00",
    )
    assert said[-1].startswith("以下の内容で予約します")
    assert "利用理由" not in said[-1]

"""A console conversation recorded as a script replays green, and catches a changed answer."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import yaml

from qa.chat import _tap
from qa.harness import Harness
from qa.replay.batch import run_paths
from qa.replay.record import Recorder
from qa.screen import buttons
from storage.clock import TOKYO, FrozenClock

NOW = dt.datetime(2024, 4, 20, 9, 0, tzinfo=TOKYO)


async def record(path: Path) -> None:
    rec = Recorder("記録", now=NOW)
    async with Harness(clock=FrozenClock(NOW)) as h:
        user = "U-console"
        rec.step({"follow": None}, await h.send(user, h.follow(user)))
        rec.step({"say": "こんにちは"}, await h.say(user, "こんにちは"))
        sent = await h.say(user, "メニュー")
        rec.step({"say": "メニュー"}, sent)
        website = next(b for b in buttons(sent[0].messages) if b.label.startswith("区ウェブ"))
        event, step = await _tap(h, user, website)
        rec.step(step, await h.send(user, event))
        rec.step({"unfollow": None}, await h.send(user, h.unfollow(user)))
    rec.save(path)


def test_recorded_script_has_steps_and_implied_expects(tmp_path: Path) -> None:
    path = tmp_path / "rec.yaml"
    asyncio.run(record(path))
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert script["name"] == "記録"
    assert script["now"] == "2024-04-20T09:00:00+09:00"
    steps = script["steps"]
    assert steps[0] == "follow"
    assert steps[2] == {"say": "こんにちは"}
    assert steps[3] == {
        "expect": {
            "contains": [
                "入力されたメッセージは目黒区や保育園には届きません。"
                "ご用件は利用希望の保育園へお電話でご連絡ください。"
            ],
            "buttons": [
                "児童の登録",
                "予約をする",
                "予約を取り消す",
                "区ウェブサイトで概要を確認する",
            ],
        }
    }
    assert steps[6] == {"tap": "区ウェブサイトで概要を確認する"}
    assert steps[-2:] == ["unfollow", "expect_no_reply"]


def test_recorded_script_replays_and_detects_a_change(tmp_path: Path) -> None:
    path = tmp_path / "rec.yaml"
    asyncio.run(record(path))
    [ok] = asyncio.run(run_paths([path]))
    assert ok.passed, ok.failure
    path.write_text(
        path.read_text(encoding="utf-8").replace("届きません", "届きます"), encoding="utf-8"
    )
    [changed] = asyncio.run(run_paths([path]))
    assert changed.failure is not None
    assert changed.failure.where == "step 4"
    assert changed.failure.reason.startswith('no message contains "入力されたメッセージは')


def test_tap_on_one_of_equal_labels_is_recorded_with_its_message() -> None:
    from bot.line.render import render
    from domain.replies import Button, Carousel, Column
    from qa.standin import Sent

    cols = tuple(
        Column(title, "9:00-11:00", (Button("キャンセル", "postback", title),))
        for title in ("面談 4/23", "一時保育 4/24")
    )
    [msgs] = render([Carousel("予約", cols)])
    rec = Recorder(now=NOW)
    rec.step({"say": "予約を取り消す"}, [Sent("U", "reply", msgs)])
    second = buttons(msgs)[1]
    rec.step({"tap": {"label": second.label, "in": second.context}}, [])
    assert rec.steps[-2:] == [
        {"tap": {"label": "キャンセル", "in": "一時保育 4/24"}},
        "expect_no_reply",
    ]

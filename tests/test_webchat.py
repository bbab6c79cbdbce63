"""The browser chat without a browser: LINE's limits, the stand-in's routing, the serve command."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp

from bot.context import BOT, Settings
from bot.line.render import render
from domain.replies import Button, Carousel, Column, Text
from qa.standin import LineStandIn
from qa.webchat import limits
from qa.webchat.app import WEBCHAT
from storage.registrations import RegistrationDoc
from tests.ports import free_port
from tests.webchat_support import running

ROOT = Path(__file__).resolve().parents[1]


def test_what_the_renderer_makes_stays_within_lines_limits() -> None:
    many = tuple(
        Button(f"とても長いボタンの名前その{i}です", "postback", f"d{i}") for i in range(20)
    )
    replies = [
        Text("一" * 6000, many),
        Carousel("予約", tuple(Column(f"t{i}", "x", many[:2]) for i in range(15))),
        *[Text(f"お知らせ{i}") for i in range(8)],
    ]
    for batch in render(replies):
        assert limits.check(batch) == []


def test_each_broken_limit_is_named_once_with_its_count() -> None:
    quick = [{"type": "action", "action": {"type": "message", "label": "x" * 21, "text": "x"}}]
    bubble = {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "button", "action": {"type": "postback", "data": "d" * 301}}],
        },
    }
    problems = limits.check(
        [
            {"type": "text", "text": "a", "quickReply": {"items": quick * 14}},
            {"type": "flex", "contents": {"type": "carousel", "contents": [bubble] * 13}},
            {"type": "template", "altText": "t" * 401, "template": {"type": "confirm"}},
            *[{"type": "text", "text": "b"}] * 3,
        ]
    )
    assert problems == [
        "6 messages in one request (LINE takes at most 5)",
        "message 1: 14 quick reply buttons (at most 13)",
        f'message 1: label "{"x" * 21}" has 21 characters (at most 20) (×14)',
        "message 2: alt text missing",
        "message 2: carousel of 13 bubbles (at most 12)",
        "message 2: postback data of 301 characters (at most 300) (×13)",
        "message 3: alt text of 401 characters (at most 400)",
    ]


async def test_with_a_channel_and_the_chat_asked_for_real_users_still_reach_line() -> None:
    """BOT_WEBCHAT=1 beside a LINE channel: the chat's users get the page, the others LINE."""
    line = LineStandIn()
    await line.start()
    try:
        settings = Settings(
            channel_secret="secret", access_token="token", line_api_base=line.url, webchat=True
        )
        async with running(settings) as (_url, app):
            bot, room = app[BOT], app[WEBCHAT]
            await bot.line.push("Ureal", [{"type": "text", "text": "本物の利用者へ"}], "k1")
            chat_user = room.users["parent"].uid
            await bot.line.push(chat_user, [{"type": "text", "text": "画面の利用者へ"}], "k2")
            assert [s.messages[0]["text"] for s in line.take("Ureal")] == ["本物の利用者へ"]
            assert line.take(chat_user) == []
            assert room.users["parent"].log[-1]["messages"][0]["text"] == "画面の利用者へ"
    finally:
        await line.stop()


async def test_the_serve_command_prints_the_url_to_open() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "BOT_", "MONGODB"))}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        cwd=ROOT,
        env={**env, "LOG_LEVEL": "INFO"},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        while not any("password" in line for line in lines):
            line = await asyncio.wait_for(proc.stderr.readline(), 60)
            assert line, "".join(lines)
            lines.append(line.decode())
        # the first screen: a few lines, the demo data one of them, then what to open
        assert len(lines) <= 15, "".join(lines)
        assert sum("demo_data_seeded" in line for line in lines) == 1
        assert not any("staff_operation" in line for line in lines)
        banner = "".join(lines[-4:])
        assert f"Chat with the bot (a LINE stand-in):  http://localhost:{port}/" in "".join(lines)
        assert f"Staff console:  http://localhost:{port}/staff/" in banner
        assert "login `city`, password " in banner
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/") as r:
                        assert r.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the page never answered")
    finally:
        proc.terminate()
        await proc.wait()


async def test_the_demo_panel_neither_shows_nor_clears_children_of_real_line_users() -> None:
    settings = Settings(channel_secret="secret", access_token="token", webchat=True)
    async with running(settings) as (url, app), aiohttp.ClientSession() as http:
        bot = app[BOT]
        reg = RegistrationDoc(
            _id="r1",
            user="Ureal",
            nursery="futaba",
            parent_name="目黒 花子",
            postal_code="1530061",
            address="東京都目黒区中目黒1-1-1",
            phone="0312345678",
            child_name="目黒 太郎",
            child_kana="メグロ タロウ",
            birth_date="2022-05-01",
            sex="male",
            created_at=bot.services.now(),
        )
        assert await bot.repos.registrations.add(reg, bot.services.today())
        async with http.get(url + "/webchat/api/demo") as r:
            assert (await r.json())["waiting"] == []
        body = {"nursery": "双葉の園保育園", "child": "目黒 太郎", "birth_date": "2022-05-01"}
        async with http.post(url + "/webchat/api/demo/clear", json=body) as r:
            assert r.status == 404
        assert not (await bot.repos.registrations.get("r1")).cleared()  # type: ignore[union-attr]

"""The browser chat without a browser: LINE's limits, the stand-in's routing, the serve command,
the rich menus and their switches."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bot.context import BOT, Settings
from bot.line.events import clean_event, is_menu_switch
from bot.line.menu_layout import city_switch_action, menu_json
from bot.line.render import render
from domain.replies import Button, Carousel, Column, Text
from qa.line_events import EventBuilder
from qa.standin import LineStandIn
from qa.standin_richmenu import problems
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


async def _hello(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """The first event of the page's stream: the users, their logs and the menus."""
    async with http.get(url + "/webchat/api/stream") as r:
        while True:
            line = await asyncio.wait_for(r.content.readline(), 10)
            if line.startswith(b"data: "):
                return dict(json.loads(line[6:]))


def _area(menu: dict[str, Any], **action: Any) -> dict[str, Any]:
    """The area of `menu` whose action has these fields."""
    [area] = [a for a in menu["areas"] if action.items() <= a["action"].items()]
    return area


async def test_the_chat_shows_the_menu_line_gets_under_the_city_menus_stand_in() -> None:
    """The 一時保育 menu served is `menu_json`'s, area for area, drawn as config says; a new
    user starts on the city's menu (a stand-in), as on @meguro_city, whose 子育て page opens
    it, and its back strip switches to that city menu. LINE would take every menu served."""
    async with running(Settings()) as (url, app), aiohttp.ClientSession() as http:
        config = app[BOT].config
        rich = config.rich_menu
        assert rich is not None and rich.back is not None
        hello = await _hello(http, url)
        menus = hello["menus"]
        ours = menus[rich.alias]
        line = menu_json(config)
        assert [{k: a[k] for k in ("bounds", "action")} for a in ours["areas"]] == line["areas"]
        assert (ours["size"], ours["chatBarText"]) == (line["size"], rich.chat_bar_text)

        # drawn as the image is: the strip in the back's colours, items in theirs
        strip = _area(ours, type="richmenuswitch")
        assert strip["action"]["richMenuAliasId"] == rich.back.alias
        assert (strip["text"], strip["color"]) == (rich.back.label, rich.back.color)
        assert strip["strip"] is True
        for item in rich.items:
            area = _area(ours, label=item.label[:20])
            assert area["text"] == (item.image_text or item.label)
            assert (area["color"], area["text_color"]) == (item.color, item.text_color)
        assert "\n" in _area(ours, text="区ウェブサイトで概要を確認する")["text"]

        # everyone starts on the city's menu; 子育て, then 一時保育の予約, opens ours
        assert hello["start_menu"] == rich.back.alias
        assert {u["menu"] for u in hello["users"]} == {rich.back.alias}
        city = menus[rich.back.alias]
        assert city["standin"] is True and ours["standin"] is False
        kosodate = menus[_area(city, label="子育て")["action"]["richMenuAliasId"]]
        opens = _area(kosodate, label="一時保育の予約")["action"]
        # the action `python -m bot richmenu` prints for the city's menu
        assert opens == {**city_switch_action(config), "label": "一時保育の予約"}
        assert opens["richMenuAliasId"] == rich.alias
        inert = [a["action"]["label"] for a in city["areas"] if a.get("inert")]
        assert "防災・安全" in inert and "子育て" not in inert
        for alias, menu in menus.items():
            assert menu["alias"] == alias
            assert problems(menu) == [], alias


async def test_a_menu_switch_reaches_the_bot_as_lines_postback_and_gets_no_reply() -> None:
    """Each switch is the postback LINE sends (the action's data, the new alias, SUCCESS):
    the bot answers none, the registration under way goes on, and the chat notes it."""
    async with running(Settings(demo=False)) as (url, app), aiohttp.ClientSession() as http:
        bot, room = app[BOT], app[WEBCHAT]
        rich = bot.config.rich_menu
        assert rich is not None and rich.back is not None
        heard: list[dict[str, Any]] = []
        accept = bot.dispatcher.accept

        async def spy(entries: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
            heard.extend(event for _, _, event in entries)
            return await accept(entries)

        bot.dispatcher.accept = spy  # type: ignore[method-assign]
        api = url + "/webchat/api/users/parent"
        parent = room.users["parent"]

        async def post(what: str, body: dict[str, Any] | None = None) -> int:
            async with http.post(f"{api}/{what}", json=body or {}) as r:
                return r.status

        def bot_entries() -> list[dict[str, Any]]:
            return [e for e in parent.log if e["kind"] == "bot"]

        assert await post("follow") == 200
        assert await post("say", {"text": "児童の登録"}) == 200
        asked = bot_entries()[-1]["messages"]
        assert asked[-1]["text"] == bot.config.messages.registration_ask_nursery

        menus = room.menus.by_alias
        city = menus[rich.back.alias]
        kosodate_alias = _area(city, label="子育て")["action"]["richMenuAliasId"]
        steps = [
            (_area(city, label="子育て")["action"], kosodate_alias),
            (_area(menus[kosodate_alias], label="一時保育の予約")["action"], rich.alias),
            (_area(menus[rich.alias], type="richmenuswitch")["action"], rich.back.alias),
        ]
        before = len(bot_entries())
        for action, alias in steps:
            heard.clear()
            assert await post("switch", {"action": action}) == 200
            [event] = heard
            assert event["type"] == "postback"
            assert event["postback"] == {
                "data": action["data"],
                "params": {"newRichMenuAliasId": alias},  # as the webhook keeps it
            }
            assert room.menu_of(parent) == alias
            assert parent.log[-1]["kind"] == "menu"
            assert parent.log[-1]["text"].endswith("postback: no reply")
        assert len(bot_entries()) == before

        # the registration asks on where it was; the switches are no steps of the recording
        nursery = bot.config.nurseries[0].name
        assert await post("say", {"text": nursery}) == 200
        said = bot_entries()[-1]["messages"][-1]["text"]
        assert said == bot.config.messages.registration_ask_parent_name
        assert room.recorder is not None
        steps_recorded = [
            s for s in room.recorder.steps if not isinstance(s, dict) or "expect" not in s
        ]
        assert steps_recorded == ["follow", {"say": "児童の登録"}, {"say": nursery}]

        # each user has a menu of their own; a reset user is a new account, on the city's
        assert room.menu_of(room.users["spouse"]) == rich.back.alias
        assert await post("switch", {"action": steps[0][0]}) == 200
        assert room.menu_of(parent) == kosodate_alias
        assert room.menu_of(room.users["spouse"]) == rich.back.alias
        async with http.post(f"{api}/reset") as r:
            assert r.status == 200
        parent = room.users["parent"]
        assert room.menu_of(parent) == rich.back.alias

        # only an area of the menu on screen switches, and only a switch area
        back = steps[2][0]
        assert await post("switch", {"action": back}) == 400  # on the city's menu now
        website = _area(city, label="防災・安全")["action"]
        assert await post("switch", {"action": website}) == 400
        assert room.menu_of(parent) == rich.back.alias


def test_the_switch_postback_is_built_as_line_sends_it() -> None:
    events = EventBuilder("01TEST", "t")
    events.line = LineStandIn()
    e = events.menu_switch("U1", "richmenu-switch:meguro-ichiji-hoiku", "meguro-ichiji-hoiku")
    assert e["type"] == "postback" and e["replyToken"]
    assert e["postback"] == {
        "data": "richmenu-switch:meguro-ichiji-hoiku",
        "params": {"newRichMenuAliasId": "meguro-ichiji-hoiku", "status": "SUCCESS"},
    }
    assert is_menu_switch(clean_event(e) or {})


async def test_the_chats_line_stand_in_takes_the_loading_animation() -> None:
    """The bot starts LINE's loading animation before a slow step: the browser chat's stand-in
    takes it for its users as LINE does (no refused call logged at every slow step)."""
    import aiohttp

    from qa.webchat.sink import Sink

    sink = Sink(None)
    sink.users.add("U-chat")
    await sink.start()
    try:
        async with aiohttp.ClientSession() as http:
            body = {"chatId": "U-chat", "loadingSeconds": 20}
            async with http.post(sink.url + "/v2/bot/chat/loading/start", json=body) as r:
                assert r.status == 202
    finally:
        await sink.stop()
    assert sink.standin.loading == [("U-chat", 20)]


async def test_a_conversation_with_users_in_two_languages_saves_a_replay_that_passes(
    tmp_path: Path,
) -> None:
    """The parent's LINE reads Japanese, the spouse's English: the saved script says so on
    the spouse's `as:` step, and replays green (it used to give every user one language)."""
    from qa.replay.batch import run_paths
    from tests.webchat_support import running

    async with running(Settings(demo=False)) as (url, app), aiohttp.ClientSession() as http:
        room = app[WEBCHAT]
        api = url + "/webchat/api/users"

        async def post(user: str, what: str, body: dict[str, Any] | None = None) -> None:
            async with http.post(f"{api}/{user}/{what}", json=body or {}) as r:
                assert r.status == 200, await r.text()

        await post("parent", "follow")
        await post("parent", "say", {"text": "メニュー"})
        await post("spouse", "language", {"language": "en"})
        await post("spouse", "follow")
        await post("spouse", "say", {"text": "Menu"})
        assert room.recorder is not None
        script = room.recorder.dump()
    assert "as: {name: spouse, language: en}" in script, script
    path = tmp_path / "two_languages.yaml"
    path.write_text(script, encoding="utf-8")
    [result] = await run_paths([path])
    assert result.passed, result


async def test_the_demo_summary_names_the_days_a_parent_is_offered(clock, config, store) -> None:
    """Saturday 2024-04-20 9:00: the day list offers today and the open days of the next ten;
    the demo panel's line says the seats run from today, as the parent sees them."""
    from qa.harness import Harness
    from qa.webchat.demo import demo_steps, summary

    async with Harness(clock=clock, config=config, store=store) as h:
        assert h.bot is not None
        line = summary(demo_steps(h.bot))[0]
    assert "seats per hour on" in line and line.endswith("04/20–04/30"), line

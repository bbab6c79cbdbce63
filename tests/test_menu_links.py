"""A parent reading English gets the English rich menu linked to them; back in Japanese, the
link is taken off (they see the account's own menu, the city's). Against the LINE stand-in,
through the webhook; a refused link never costs the parent their answer."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from bot.line.client import LineClient
from bot.line.menu_image import find_font
from bot.line.richmenu import Options, menus_of, set_up
from bot.line.user_menus import ALIAS_SECONDS, UserMenus
from bot.logs import configure
from domain.config_file import load_config
from qa.screen import texts
from qa.standin import LineStandIn

EN, JA = "meguro-ichiji-hoiku-en", "meguro-ichiji-hoiku"


@pytest.fixture
def logs():
    buf = io.StringIO()
    configure("INFO", stream=buf)
    yield lambda: [json.loads(x) for x in buf.getvalue().split("\n") if x.startswith("{")]
    configure("INFO")


async def set_up_menus(line: LineStandIn) -> dict[str, str]:
    """`python -m bot richmenu` on the stand-in, the city's menu in place first."""
    line.richmenus.add_city_menu()
    menus = menus_of(load_config(), find_font())
    return await asyncio.to_thread(set_up, menus, "token", line.url, line.url, Options())


def said(sent) -> list[str]:
    return [t for s in sent for t in texts(s.messages)]


async def test_an_english_parent_gets_the_english_menu_until_they_pick_japanese(harness):
    line = harness.line
    ids = await set_up_menus(line)
    line.languages["U1"] = "en"
    line.languages["U2"] = "ja"
    await harness.send("U1", harness.follow("U1"))
    assert line.richmenus.links == {"U1": ids["en"]}
    assert line.richmenus.menu_for("U1") == ids["en"]
    # a Japanese parent keeps the city's menu: no link, no call
    await harness.send("U2", harness.follow("U2"))
    assert "U2" not in line.richmenus.links
    assert line.richmenus.menu_for("U2") == line.richmenus.default
    # back to Japanese: unlinked, the account's default (the city's menu) shows again
    assert any("日本語" in t for t in said(await harness.say("U1", "日本語")))
    assert "U1" not in line.richmenus.links
    assert line.richmenus.menu_for("U1") == line.richmenus.default
    # and English again by name
    assert said(await harness.say("U1", "English"))
    assert line.richmenus.links == {"U1": ids["en"]}


async def test_the_city_menus_ichiji_area_gives_an_english_parent_the_english_menu(harness):
    """The English menu's strip back to the city's menu, then the city's 一時保育の予約 area:
    LINE links the menu that area names for everyone (the Japanese one), and the bot puts
    the parent's English one in its place. A Japanese parent keeps what LINE showed."""
    line = harness.line
    ids = await set_up_menus(line)
    line.languages["U1"], line.languages["U2"] = "en", "ja"
    await harness.send("U1", harness.follow("U1"))
    await harness.send("U2", harness.follow("U2"))
    assert line.richmenus.links == {"U1": ids["en"]}
    city = load_config().rich_menu.back.alias  # type: ignore[union-attr]
    # back to the city's menu: what the parent chose stays
    line.richmenus.links["U1"] = line.richmenus.aliases[city]  # what LINE does on the tap
    assert await harness.send("U1", harness.menu_switch("U1", "back", city)) == []
    assert line.richmenus.links == {"U1": line.richmenus.aliases[city]}
    # the city's 一時保育の予約 opens the Japanese menu: the English one is linked instead
    for user in ("U1", "U2"):
        line.richmenus.links[user] = ids["ja"]
        assert await harness.send(user, harness.menu_switch(user, "ichiji", JA)) == []
    assert line.richmenus.links == {"U1": ids["en"], "U2": ids["ja"]}


async def test_the_first_message_links_it_without_a_follow(harness):
    line = harness.line
    ids = await set_up_menus(line)
    line.languages["U3"] = "en-US"
    assert said(await harness.say("U3", "hello"))
    assert line.richmenus.links == {"U3": ids["en"]}


async def test_a_refused_link_leaves_the_answer_and_is_tried_again(harness, logs):
    line = harness.line
    ids = await set_up_menus(line)
    line.richmenus.aliases[EN] = "richmenu-gone"  # names a menu LINE does not have
    line.languages["U4"] = "en"
    got = said(await harness.send("U4", harness.follow("U4")))
    assert "Thank you for adding us" in " ".join(got)  # answered, in English
    assert line.richmenus.links == {}
    [refused] = [x for x in logs() if x["event"] == "rich_menu_link_refused"]
    assert refused["status"] == 404 and refused["level"] == "warning"
    # the next time the language is set, the (re-read) alias gives the menu
    line.richmenus.aliases[EN] = ids["en"]
    assert said(await harness.say("U4", "English"))
    assert line.richmenus.links == {"U4": ids["en"]}


async def test_a_refused_link_is_made_by_a_later_message_of_the_parent(harness):
    """The link failed when the parent added the account: a message of theirs (not only a
    language's name) makes it, once a while has passed, so they are not left with the
    Japanese menu; messages in between do not ask LINE for it again each time."""
    line = harness.line
    ids = await set_up_menus(line)
    now = [0.0]
    services = harness.bot.services
    services.menus = UserMenus(harness.bot.line, harness.bot.config, clock=lambda: now[0])
    line.richmenus.aliases[EN] = "richmenu-gone"
    line.languages["U6"] = "en"
    assert said(await harness.send("U6", harness.follow("U6")))
    assert line.richmenus.links == {}
    line.richmenus.aliases[EN] = ids["en"]
    now[0] += 60
    assert said(await harness.say("U6", "Book childcare"))
    assert line.richmenus.links == {}  # a minute later: not tried again yet
    now[0] += ALIAS_SECONDS + 600
    assert said(await harness.say("U6", "hello"))
    assert line.richmenus.links == {"U6": ids["en"]}


async def test_no_english_menu_on_line_is_logged_and_the_parent_answered(harness, logs):
    harness.line.languages["U5"] = "en"
    assert said(await harness.send("U5", harness.follow("U5")))
    assert harness.line.richmenus.links == {}
    assert [x["alias"] for x in logs() if x["event"] == "rich_menu_alias_missing"] == [EN]


async def test_a_link_lost_when_the_menus_are_set_up_again_is_made_again():
    """Running `richmenu` again deletes the older English menu, which unlinks its parents;
    once the alias is read again the next session links the new one. One call per
    change, not per session."""
    line = LineStandIn()
    await line.start()
    client = LineClient("token", line.url)
    await client.start()
    now = [0.0]
    try:
        menus = UserMenus(client, load_config(), clock=lambda: now[0])
        assert menus.aliases == {"en": EN}
        first = (await set_up_menus(line))["en"]
        await menus.show("U1", "en")
        await menus.show("U1", "en")  # a later session: nothing to do
        assert line.richmenus.links == {"U1": first}
        second = (
            await asyncio.to_thread(
                set_up, menus_of(load_config(), find_font()), "token", line.url, line.url, Options()
            )
        )["en"]
        assert line.richmenus.links == {}  # the old menu deleted with its links
        await menus.show("U1", "en")  # the alias is still trusted: no call yet
        now[0] += ALIAS_SECONDS
        await menus.show("U1", "en")
        assert line.richmenus.links == {"U1": second}
        await menus.show("U1", "ja")
        assert line.richmenus.links == {}
    finally:
        await client.close()
        await line.stop()

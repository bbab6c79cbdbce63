"""A parent reads the language their LINE is set to, and can switch by sending its name."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from types import SimpleNamespace

import pytest

from domain import labels
from domain.services import Services
from flows.base import Input
from flows.engine import Dialog
from tests.flows.conftest import labels as button_labels
from tests.flows.conftest import texts
from tests.interview_support import registration

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


class LineProfiles:
    """LINE's profile languages, counting each read."""

    def __init__(self, **languages: str | None) -> None:
        self.languages = languages
        self.reads: list[str] = []

    async def language(self, user_id: str) -> str | None:
        self.reads.append(user_id)
        return self.languages.get(user_id)


@pytest.fixture
def line(services: Services) -> LineProfiles:
    services.profiles = LineProfiles(en="en", ja="ja", us="en-US", ko="ko", gone=None)
    return services.profiles  # type: ignore[return-value]


async def say(dialog: Dialog, user: str, text: str, n: list[int] = [0]) -> list[str]:  # noqa: B006
    n[0] += 1
    out = await dialog.handle(user, Input("text", text=text), f"e{n[0]}")
    return texts(out.replies) + button_labels(out.replies)


async def follow(dialog: Dialog, user: str) -> list[str]:
    out = await dialog.handle(user, Input("follow"), f"follow-{user}-{id(dialog)}")
    return texts(out.replies) + button_labels(out.replies)


# The English greeting's one Japanese line: how a Japanese reader whose LINE is set to
# another language gets Japanese (as the Japanese greeting names "English" in English).
SWITCH_BACK = "日本語でのご案内は「日本語」と送信してください。"


def english(lines: list[str]) -> bool:
    return bool(lines) and not any(JAPANESE.search(line.replace(SWITCH_BACK, "")) for line in lines)


async def test_a_parent_whose_line_is_english_is_greeted_in_english(dialog, line) -> None:
    got = await follow(dialog, "en")
    assert english(got), got
    assert "Register a child" in got and "Book childcare" in got
    assert await dialog.services.repos.users.language_setting("en") == ("en", False)


async def test_a_parent_whose_line_is_japanese_is_greeted_in_japanese(dialog, line) -> None:
    got = await follow(dialog, "ja")
    assert "児童の登録" in got and "Register a child" not in got
    assert 'For English, send "English".' in got[0]  # said to everyone who reads Japanese


async def test_the_profile_is_read_once_at_the_first_message(dialog, line) -> None:
    first = await say(dialog, "us", "hello")
    second = await say(dialog, "us", "hello again")
    assert english(first) and english(second)
    assert line.reads == ["us"]


async def test_any_other_line_language_reads_english(dialog, line) -> None:
    assert english(await say(dialog, "ko", "안녕하세요"))


async def test_a_profile_line_did_not_give_is_asked_for_again(dialog, line) -> None:
    got = await say(dialog, "gone", "こんにちは")
    assert "児童の登録" in got
    await say(dialog, "gone", "こんにちは")
    assert line.reads == ["gone", "gone"]


async def test_english_midway_asks_the_same_question_again_in_english(dialog, line) -> None:
    await say(dialog, "ja", "児童の登録")
    await say(dialog, "ja", "双葉の園保育園")
    got = await say(dialog, "ja", "english")
    assert got[0].startswith("Replies will now be in English")
    assert any("parent" in t.lower() and "name" in t.lower() for t in got[1:]), got
    assert english(got[1:])
    got = await say(dialog, "ja", "目黒 花子")
    assert any("postal code" in t.lower() for t in got), got


async def test_nihongo_midway_goes_on_in_japanese_with_the_answers_kept(dialog, line) -> None:
    await say(dialog, "en", "Register a child")
    await say(dialog, "en", "Futaba no Sono Nursery")
    await say(dialog, "en", "Meguro Hanako")
    got = await say(dialog, "en", "日本語")
    assert got[0] == dialog.services.base_config.messages.language_set
    assert "郵便番号を入力してください（例：153-0061）。" in got
    got = await say(dialog, "en", "153-0061")
    assert "住所を入力してください。" in got


async def test_the_choice_is_kept_over_line_when_the_parent_follows_again(dialog, line) -> None:
    await say(dialog, "ja", "English")
    await dialog.handle("ja", Input("unfollow"), "unfollow-ja")
    assert english(await follow(dialog, "ja"))
    assert await dialog.services.repos.users.language_setting("ja") == ("en", True)


async def test_following_again_reads_a_changed_line_language(dialog, line) -> None:
    assert "児童の登録" in await follow(dialog, "ja")
    line.languages["ja"] = "en"
    await dialog.handle("ja", Input("unfollow"), "unfollow-ja")
    assert english(await dialog_follow_again(dialog, "ja"))


async def dialog_follow_again(dialog: Dialog, user: str) -> list[str]:
    out = await dialog.handle(user, Input("follow"), f"follow-again-{user}")
    return texts(out.replies) + button_labels(out.replies)


async def test_keywords_work_in_either_language_for_everyone(dialog, line) -> None:
    got = await say(dialog, "ja", "register a child")
    assert any("利用希望の保育園" in t for t in got), got
    got = await say(dialog, "en", "予約を取り消す")
    assert english(got), got


async def test_two_parents_at_once_each_read_their_own_language(dialog, line) -> None:
    async def both(i: int) -> tuple[list[str], list[str]]:
        en, ja = await asyncio.gather(
            say(dialog, "en", f"hello {i}"), say(dialog, "ja", f"こんにちは {i}")
        )
        return en, ja

    for i in range(5):
        en, ja = await both(i)
        assert english(en) and "児童の登録" in ja


async def test_an_english_booking_keeps_the_answer_in_japanese_for_staff(dialog, line) -> None:
    services = dialog.services
    bot = SimpleNamespace(services=services, repos=services.repos)
    reg = await registration(bot, "en", child="Meguro Taro")
    now = services.now()
    await services.repos.registrations.clear(reg.id, now, now.date(), dt.date(2025, 3, 31))
    await say(dialog, "en", "Book childcare")
    got = await say(dialog, "en", "Meguro Taro/Futaba no Sono Nursery")
    assert any("Tue, Apr 23:" in t for t in got), got
    got = await say(dialog, "en", "Tue, Apr 23")
    assert any(t.startswith("9:00 AM") for t in got), got
    await say(dialog, "en", "9:00 AM")
    got = await say(dialog, "en", "10 am")  # too short, typed as English writes it
    assert any("at least 2 hours" in t and "11:00 AM" in t for t in got), got
    got = await say(dialog, "en", "1:00 pm")
    assert "Work" in got, got
    got = await say(dialog, "en", "work")
    summary = next(t for t in got if "Meguro Taro" in t)
    assert "Tue, Apr 23" in summary and "9:00 AM" in summary and "1:00 PM" in summary
    assert "Work" in summary and english([summary])
    await say(dialog, "en", "Confirm")
    [booking] = await services.repos.bookings.of_registration(reg.id, now.date())
    assert booking.answers == {"reason": "就労"}


@pytest.mark.parametrize(
    ("typed", "hour"),
    [
        ("9", 9),
        ("9:00", 9),
        ("13時", 13),
        ("1:00 p.m.", 13),
        ("1 pm", 13),
        ("1PM", 13),
        ("12 p.m.", 12),
        ("12 a.m.", 0),
        ("11:00 a.m.", 11),
        ("13 pm", None),
        ("9:30", None),
        ("noon", None),
    ],
)
def test_hours_are_read_as_either_language_writes_them(typed: str, hour: int | None) -> None:
    assert labels.parse_hour(typed) == hour

"""The terminal chat (`python -m bot chat`) driven with scripted input."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys

import pytest

from bot.cli import main
from bot.logs import configure
from domain.config_file import load_config
from qa.chat import run_console
from qa.replay.batch import run_paths
from qa.replay.report import failure_text
from qa.replay.script import load
from storage.clock import TOKYO

MSG = load_config().messages


async def _chat(capsys, monkeypatch, lines: list[str]) -> list[str]:
    """Run the console on its own in-memory store with `lines` typed; what it printed on
    stdout (stderr is left in `capsys`)."""
    monkeypatch.delenv("MONGODB_URI", raising=False)
    script = iter(lines)

    async def read(prompt: str) -> str | None:
        line = next(script, None)
        if line is not None:
            print(f"{prompt}{line}")
        return line

    configure("WARNING")  # as `python -m bot chat`: the conversation alone on stdout
    monkeypatch.setattr("qa.chat._input", read)
    assert await run_console("U-console") == 0
    captured = capsys.readouterr()
    print(captured.err, file=sys.stderr, end="")
    return captured.out.splitlines()


def _after(out: list[str], typed: str) -> list[str]:
    """The lines printed after the last time `typed` was typed, up to the next prompt."""
    start = max(i for i, line in enumerate(out) if line == f"> {typed}") + 1
    end = next((i for i in range(start, len(out)) if out[i].startswith("> ")), len(out))
    return out[start:end]


async def test_an_old_button_number_at_a_text_question_is_sent_as_text(capsys, monkeypatch):
    out = await _chat(capsys, monkeypatch, ["児童の登録", "1", "2"])
    # The name question has no buttons: "2" is the parent's answer, not the second nursery.
    answer = _after(out, "2")
    assert not any("アンジェリカ" in line for line in answer)
    assert answer[1] == MSG.invalid_name
    # The echo says what went to the bot.
    assert answer[0] == "→ text 「2」"
    assert _after(out, "1")[0] == "→ button 1 [双葉の園保育園]: text 「双葉の園保育園」"


async def test_a_number_beyond_the_buttons_on_screen_is_text(capsys, monkeypatch):
    out = await _chat(capsys, monkeypatch, ["メニュー", "9"])
    # the terminal chat says nothing of the staff console's cookie key (the operator's)
    assert "STAFF_SESSION_KEY" not in capsys.readouterr().err
    assert _after(out, "9")[0] == "→ text 「9」"
    assert MSG.free_text_notice in _after(out, "9")


async def test_help_lists_the_commands_with_examples_that_work_as_pasted(capsys, monkeypatch):
    out = await _chat(capsys, monkeypatch, ["/help"])
    shown = "\n".join(_after(out, "/help"))
    for command in ("/staff", "add-slot", "set-seats", "complete", "/help"):
        assert command in shown
    # its examples are dated ahead of the chat's (real) clock, so pasting one works
    example = re.search(r"/staff add-slot futaba \S+", shown).group(0)  # type: ignore[union-attr]
    out = await _chat(capsys, monkeypatch, [example, "/staff slots futaba"])
    assert not any(line.startswith("error") for line in out), out
    assert example.split()[-1][:10] in "\n".join(_after(out, "/staff slots futaba"))


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("/staff", "the following arguments are required: op"),
        (
            "/staff add-slot futaba not-a-date",
            "error: 面談日時は日時（例：2024-04-23T10:00）で指定してください。",
        ),
        ("/staff nope", "invalid choice: 'nope'"),
        ("/nope", "commands:"),
    ],
)
async def test_a_wrong_command_is_explained_and_nothing_is_sent(capsys, monkeypatch, how, says):
    out = await _chat(capsys, monkeypatch, [how, "メニュー"])
    explained = "\n".join(_after(out, how)) + capsys.readouterr().err
    assert says in explained
    assert "→" not in "\n".join(_after(out, how))  # nothing went to the bot
    assert MSG.menu_prompt in _after(out, "メニュー")


async def test_staff_commands_open_slots_and_seats_and_clear_the_child(capsys, monkeypatch):
    today = dt.datetime.now(TOKYO).date()
    tomorrow = today + dt.timedelta(days=1)
    born = today.replace(year=today.year - 2, day=1).isoformat()
    register = ["児童の登録", "1", "目黒 花子", "153-0061", "東京都目黒区中目黒1-1-1"]
    register += ["03-1234-5678", "目黒 三郎", "メグロ サブロウ", born, "男", "はい"]
    out = await _chat(
        capsys,
        monkeypatch,
        [
            *register,
            "1",  # the child: no interview slot is open yet
            f"/staff add-slot futaba {tomorrow}T10:00",
            "面談予約の再開",
            "1",
            "1",
            "はい",
            '/staff complete futaba "目黒 三郎"',
            f"/staff set-seats futaba {tomorrow} 2",
            f"/staff seats futaba {tomorrow}",
        ],
    )
    # Without a slot the interview step ends in "no slots" ...
    add_slot = out.index(f"> /staff add-slot futaba {tomorrow}T10:00")
    no_slots = MSG.interview_no_slots.format(nursery="双葉の園保育園", phone="03-0000-0001")
    assert no_slots in out[:add_slot]
    # ... the console opens one, and the parent books it.
    opened = _after(out, f"/staff add-slot futaba {tomorrow}T10:00")
    assert f'  "at": "{tomorrow}T10:00+09:00",' in opened
    assert _after(out, "はい")[1].startswith("面談を予約しました")
    # Clearing the child pushes the notice to the parent, shown as a push.
    cleared = _after(out, '/staff complete futaba "目黒 三郎"')
    assert any(
        line.startswith("[push] 目黒 三郎さんは双葉の園保育園で一時保育の利用可能")
        for line in cleared
    )
    seats = _after(out, f"/staff seats futaba {tomorrow}")
    assert '  "open": true,' in seats and '  "day_seats": 2,' in seats


async def test_a_chat_as_an_english_user_is_recorded_with_its_language(
    capsys, monkeypatch, tmp_path
):
    """`python -m bot chat --language en --record FILE`: the user's LINE is in English, the
    bot answers in English, and the script says `language: en`, so it replays green."""
    monkeypatch.delenv("MONGODB_URI", raising=False)
    typed = iter(["hello"])

    async def read(prompt: str) -> str | None:
        return next(typed, None)

    monkeypatch.setattr("qa.chat._input", read)
    path = tmp_path / "english.yaml"
    args = ["chat", "--user", "U-en", "--language", "en", "--record", str(path)]
    assert await asyncio.to_thread(main, args) == 0
    assert "Thank you for adding us" in capsys.readouterr().out
    script = load(path)
    assert script.language == "en"
    [result] = await run_paths([path])
    assert result.failure is None, failure_text(result)

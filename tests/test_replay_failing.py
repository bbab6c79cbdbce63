"""Deliberately failing scripts: each report names the step, its line and the plain reason."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qa.replay.batch import run_paths
from qa.replay.report import failure_text, summary
from qa.replay.runner import Result

FAILING = Path(__file__).parent / "replay_failing"
MENU = "[児童の登録] [予約をする] [予約を取り消す] [区ウェブサイトで概要を確認する]"

# file -> the first line of its report (after the file name), word for word
REPORTS = {
    "no_button.yaml": 'step 3, line 6: no button "存在しない" on screen',
    "several_prefix.yaml": (
        'step 2, line 5: several buttons start with "予約": "予約をする", "予約を取り消す"'
    ),
    "wrong_text.yaml": 'step 3, line 6: no message contains "こんばんは"',
    "key_twice.yaml": "step 2, line 5: the key 'contains' is written twice",
    "no_reply_for_a_check.yaml": "step 3, line 6: no reply came",
    "wrong_buttons.yaml": 'step 2, line 5: no button "面談予約の再開"',
    "reply_came.yaml": "step 2, line 5: a reply came",
    "no_push.yaml": "step 2, line 5: no push came",
    "unknown_step.yaml": (
        "step 2, line 5: unknown step 'shout' (known: as, say, tap, pick_date, follow, "
        "unfollow, expect, expect_push, expect_no_reply, staff, expect_refused, clock, advance)"
    ),
    "bad_date.yaml": "step 3, line 6: '2024-02-30' is not a date like 2024-04-24",
    "no_picker.yaml": "step 2, line 5: no date picker on screen",
    "bad_yaml.yaml": (
        "the script, line 6: not valid YAML: expected ',' or '}', but got '<stream end>'"
    ),
    "bad_advance.yaml": "step 2, line 5: '3x' is not a duration like 30m, 2h, 1d or 1d2h",
    "expect_first.yaml": "step 1, line 4: expect comes before any step of the user (say, tap, ...)",
    "bad_staff.yaml": "setup step 1, line 4: seats must be a whole number, not 'many'",
    "bad_language.yaml": (
        "the script, line 3: language: must be ja or en (the LINE language of the script's"
        " users), not 'fr'"
    ),
}


@pytest.fixture(scope="module")
def results() -> dict[str, Result]:
    got = asyncio.run(run_paths([FAILING]))
    return {r.path.name: r for r in got}


def test_every_failing_script_is_checked(results: dict[str, Result]) -> None:
    assert sorted(results) == sorted(REPORTS)
    assert summary(list(results.values())) == f"0 passed, {len(REPORTS)} failed"


@pytest.mark.parametrize("file", sorted(REPORTS))
def test_report_names_step_line_and_reason(results: dict[str, Result], file: str) -> None:
    text = failure_text(results[file])
    first = text.splitlines()[0]
    assert first.endswith(f"{file}, {REPORTS[file]}"), text
    assert "Traceback" not in text


def test_report_shows_labels_and_exchange(results: dict[str, Result]) -> None:
    lines = failure_text(results["no_button.yaml"]).splitlines()
    assert lines[1:] == [
        "    step:     tap: 存在しない",
        "    labels on screen: " + MENU,
        "    exchange so far:",
        "      parent: メニュー",
        "        bot: メニューから選んでください。",
        "             " + MENU,
    ]


def test_report_shows_expected_and_what_came(results: dict[str, Result]) -> None:
    lines = failure_text(results["wrong_text.yaml"]).splitlines()
    assert lines[1] == "    expected: expect: {contains: [届きません, こんばんは]}"
    assert lines[2].startswith("    came:     入力されたメッセージは目黒区や保育園には届きません。")
    assert "      parent: (友だち追加)" in lines
    assert "      parent: こんにちは" in lines


def test_broken_script_is_named_and_not_run(results: dict[str, Result]) -> None:
    r = results["bad_date.yaml"]
    assert r.name == "ありえない日付"
    assert "exchange so far" not in failure_text(r)

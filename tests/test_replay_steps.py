"""The step kinds the base flows cannot show yet (date picker, postbacks in a carousel,
staff pushes, the clock seen by a flow, a crash in a flow), replayed against a small
test flow and a stand-in staff service; plus the CLI's output, JUnit, -k and coverage."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar

import pytest

from bot.cli import main
from domain.errors import NotFound
from domain.replies import Button, Carousel, Column, Sticker, Text
from flows.base import Flow, Input, Run
from qa.replay.batch import run_paths
from qa.replay.coverage import Coverage
from qa.replay.report import failure_text
from qa.replay.target import user_id

HERE = Path(__file__).parent
TESTFLOW = HERE / "replay_testflow"
RUNNER = HERE / "replays" / "runner"


class PickFlow(Flow):
    """Reached by 予約をする: a date picker, then a carousel with two キャンセル buttons."""

    name = "booking"
    states: ClassVar[list[str]] = ["pick", "choose", "unused"]
    transitions: ClassVar[list[dict]] = [
        {"trigger": "begin", "source": "start", "dest": "pick"},
        {"trigger": "picked", "source": "pick", "dest": "choose"},
        {"trigger": "done", "source": "choose", "dest": "end"},
        {"trigger": "never", "source": "pick", "dest": "unused"},
        {"trigger": "leave", "source": "unused", "dest": "end"},
    ]
    passing: ClassVar[frozenset[str]] = frozenset({"unused"})

    async def prompt_pick(self, run: Run) -> None:
        now = run.services.now()
        run.out.say(
            f"いま {now.month}/{now.day} {now:%H:%M}",
            Button("日付を選ぶ", "date", "pick", min="2024-04-20", max="2024-04-30"),
        )

    async def on_pick(self, run: Run, inp: Input) -> None:
        if inp.kind != "postback" or not inp.date:
            await run.reask("日付を選んでください")
            return
        run.out.say(f"{inp.date} ですね")
        await run.fire("picked")

    async def prompt_choose(self, run: Run) -> None:
        run.out.add(
            Carousel(
                "予約",
                tuple(
                    Column(
                        title,
                        "9:00-11:00",
                        (Button("キャンセル", "postback", f"cancel:{title}"), Button("詳細")),
                    )
                    for title in ("面談 4/23", "一時保育 4/24")
                ),
            )
        )

    async def on_choose(self, run: Run, inp: Input) -> None:
        if inp.kind == "text" and inp.text == "壊す":
            raise RuntimeError("the flow broke")
        if inp.kind != "postback" or not inp.data.startswith("cancel:"):
            await run.reask("選んでください")
            return
        run.out.say(f"{inp.data.removeprefix('cancel:')} を取り消しました")
        run.out.add(Sticker("446", "1988"))
        await run.fire("done")


class FakeStaff:
    """Only complete_interview: pushes a notice to the script's `parent`."""

    def __init__(self, services) -> None:  # type: ignore[no-untyped-def]
        self.services = services
        self.interviews = self

    async def complete_interview(
        self, nursery: str, child: str, birth_date: None, parent: None = None
    ) -> None:
        if child == "不明":
            raise NotFound("その児童は登録されていません")
        now = self.services.now()
        parent = user_id(str(TESTFLOW / "staff_push.yaml"), "parent")
        text = f"{child} は利用可能になりました（{now.month}/{now.day}）"
        await self.services.notifier.push(parent, [Text(text)], f"done:{child}")


@pytest.fixture
def fake_staff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.app.Staff", FakeStaff)


def run(paths: list[Path], **kw):  # type: ignore[no-untyped-def]
    return asyncio.run(run_paths(paths, flows=[PickFlow], **kw))


def test_step_kinds_on_a_test_flow(fake_staff: None) -> None:
    results = run([TESTFLOW])
    assert [(r.path.name, r.failure and failure_text(r)) for r in results] == [
        ("pick_date.yaml", None),
        ("postback_in.yaml", None),
        ("staff_push.yaml", None),
    ]


def write(tmp_path: Path, name: str, steps: str, setup: str = "") -> Path:
    path = tmp_path / name
    path.write_text(
        f"name: {name}\nnow: 2024-04-20T09:00+09:00\n{setup}steps:\n{steps}", encoding="utf-8"
    )
    return path


def only_failure(paths: list[Path]):  # type: ignore[no-untyped-def]
    [r] = run(paths)
    assert r.failure is not None
    return r.failure


def test_tapping_a_date_picker_says_to_use_pick_date(tmp_path: Path) -> None:
    f = only_failure([write(tmp_path, "t.yaml", "  - say: 予約をする\n  - tap: 日付を選ぶ\n")])
    assert (f.where, f.line) == ("step 2", 5)
    assert f.reason == 'the button "日付を選ぶ" is a date picker: use pick_date: YYYY-MM-DD'


def test_pick_date_outside_the_pickers_range(tmp_path: Path) -> None:
    f = only_failure(
        [write(tmp_path, "t.yaml", "  - say: 予約をする\n  - pick_date: 2024-05-01\n")]
    )
    assert f.reason == "the date picker offers 2024-04-20 to 2024-04-30 only"


def test_same_label_twice_asks_for_in(tmp_path: Path) -> None:
    steps = "  - say: 予約をする\n  - pick_date: 2024-04-22\n  - tap: キャンセル\n"
    f = only_failure([write(tmp_path, "t.yaml", steps)])
    assert f.where == "step 3"
    assert (
        f.reason
        == 'several buttons are labelled "キャンセル": use tap: {label: キャンセル, in: TEXT}'
    )
    assert f.labels == ["キャンセル", "詳細", "キャンセル", "詳細"]


def test_a_crash_in_the_bot_fails_that_step_in_one_line(tmp_path: Path) -> None:
    steps = "  - say: 予約をする\n  - pick_date: 2024-04-22\n  - say: 壊す\n  - expect: x\n"
    f = only_failure([write(tmp_path, "t.yaml", steps)])
    assert (f.where, f.line) == ("step 3", 6)
    assert f.reason == "the bot failed on this step: RuntimeError: the flow broke"
    assert f.transcript is not None and f.transcript[-1] == "parent: 壊す"


def test_staff_refusal_and_missing_staff_action(tmp_path: Path, fake_staff: None) -> None:
    refused = write(
        tmp_path,
        "a.yaml",
        "  - say: こんにちは\n",
        "setup:\n  - complete_interview: {nursery: 双葉の園保育園, child: 不明}\n",
    )
    missing = write(
        tmp_path,
        "b.yaml",
        "  - say: こんにちは\n"
        "  - staff: {cancel: {nursery: 双葉の園保育園, child: A, date: 2024-04-24}}\n",
    )
    a, b = run([refused, missing])
    assert a.failure and (a.failure.where, a.failure.reason) == (
        "setup step 1",
        "staff action complete_interview was refused: その児童は登録されていません",
    )
    assert b.failure and (b.failure.where, b.failure.reason) == (
        "step 2",
        "staff action cancel failed: AttributeError: 'FakeStaff' object has no attribute "
        "'bookings'",
    )


def test_coverage_counts_reached_states_and_transitions() -> None:
    cov = Coverage()
    results = run([TESTFLOW / "pick_date.yaml"], coverage=cov)
    assert results[0].passed
    text = cov.report()
    assert "  booking: states 4/5 (80%), transitions 3/5 (60%)" in text
    assert "    states never reached: unused" in text
    assert "      pick --never--> unused" in text


def test_cli_prints_one_line_per_script_and_the_summary_last(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(HERE.parent)
    bad = write(tmp_path, "bad.yaml", "  - say: メニュー\n  - tap: ない\n")
    junit = tmp_path / "out" / "junit.xml"
    code = main(["replay", str(RUNNER / "say.yaml"), str(bad), "--junit", str(junit)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0] == "✓ 自由入力には届かない旨の案内 — tests/replays/runner/say.yaml"
    assert out[1] == f"✗ bad.yaml — {bad}"
    assert out[2] == f'  {bad}, step 2, line 5: no button "ない" on screen'
    assert out[-1] == "1 passed, 1 failed"
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.find("failure") is None for c in cases] == [True, False]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == 'no button "ない" on screen'


def test_cli_k_picks_scripts_and_exit_zero_when_all_pass(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(HERE.parent)
    assert main(["replay", str(RUNNER), "-k", "unfollow"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "✓ ブロックして友だち追加し直す — tests/replays/runner/unfollow.yaml",
        "1 passed, 0 failed",
    ]


def test_cli_without_scripts_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["replay", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "0 passed, 0 failed"


def test_a_quick_reply_of_an_older_message_cannot_be_tapped(tmp_path: Path) -> None:
    """As on LINE: the menu's quick replies go when the next message comes."""
    steps = "  - say: メニュー\n  - say: 予約をする\n  - tap: 児童の登録\n"
    f = only_failure([write(tmp_path, "t.yaml", steps)])
    assert (f.where, f.reason) == ("step 3", 'no button "児童の登録" on screen')

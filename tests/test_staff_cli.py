"""`python -m bot staff ...`: the same staff operations from a terminal."""

from __future__ import annotations

import argparse
import json

import pytest
import structlog

from bot.cli import main
from bot.logs import configure
from bot.staff import cli as staff_cli
from qa.screen import texts
from tests.interview_support import registration


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot")
    staff_cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["staff", *argv])


@pytest.fixture
def quiet_logs():
    """As `python -m bot staff` runs: logs on stderr, warnings only, so stdout is the result."""
    before = structlog.get_config()
    configure("WARNING")
    yield
    structlog.configure(**before)


@pytest.fixture
def staff(harness, capsys, quiet_logs):
    """Run one staff command on the test bot: (exit code, stdout as JSON or text, stderr)."""

    async def run(*argv: str):
        code = await staff_cli.run(harness.bot, _parse(list(argv)))
        out, err = capsys.readouterr()
        try:
            return code, json.loads(out), err
        except ValueError:
            return code, out.strip(), err

    return run


async def test_slots_are_added_listed_and_removed(staff):
    code, data, _ = await staff("add-slot", "双葉の園保育園", "2024-04-23T10:00", "--capacity", "2")
    assert code == 0 and data["capacity"] == 2
    code, data, _ = await staff("slots", "futaba")
    assert code == 0 and [s["at"] for s in data] == ["2024-04-23T10:00+09:00"]
    code, data, _ = await staff("remove-slot", "futaba", "2024-04-23T10:00")
    assert code == 0
    code, data, _ = await staff("slots", "futaba")
    assert data == []


async def test_complete_clears_the_child_and_pushes_the_notice(staff, harness):
    await registration(harness.bot, "Ua")
    code, data, _ = await staff("waiting", "futaba")
    assert code == 0 and [r["child"] for r in data] == ["目黒 太郎"]
    code, data, _ = await staff("complete", "futaba", "目黒 太郎", "--birth-date", "2022-05-01")
    assert code == 0 and data["expiry"] == "2025-03-31" and data["notified"] is True
    pushed = [t for s in harness.line.take("Ua") for t in texts(s.messages)]
    assert any("利用可能" in t for t in pushed)
    code, data, _ = await staff("waiting", "futaba")
    assert data == []
    code, data, _ = await staff("registrations", "futaba")
    assert [r["expiry"] for r in data] == ["2025-03-31"]


async def test_refusals_go_to_stderr_with_exit_1(staff):
    code, out, err = await staff("complete", "futaba", "目黒 次郎")
    assert (
        code == 1
        and out == ""
        and err.startswith("error: 双葉の園保育園に「目黒 次郎」という登録はありません")
    )
    code, out, err = await staff("slots", "どこか保育園")
    assert code == 1 and "という保育園はありません" in err
    code, out, err = await staff("token", "nowhere")
    assert code == 1 and "「nowhere」という保育園はありません" in err


async def test_duplicates_report(staff, harness):
    await registration(harness.bot, "Ua")
    await registration(harness.bot, "Ub")
    code, data, _ = await staff("duplicates", "futaba")
    assert code == 0 and len(data) == 1 and data[0]["child"] == "目黒 太郎"


async def test_a_token_is_printed_once_stored_hashed_listed_and_revoked(staff, harness):
    code, token, err = await staff("token", "桑の実中目黒保育園")
    assert code == 0 and len(token) >= 40 and "shown once" in err
    stored = await harness.bot.repos.tokens.all()
    assert [d.scope for d in stored] == ["kuwanomi"] and token not in stored[0].id
    assert await harness.bot.repos.tokens.scope_of(token) == "kuwanomi"
    code, data, _ = await staff("tokens")
    assert data == [
        {"id": stored[0].short(), "scope": "kuwanomi", "created_at": data[0]["created_at"]}
    ]
    assert token not in json.dumps(data)
    code, data, _ = await staff("revoke", stored[0].short())
    assert code == 0 and data["scope"] == "kuwanomi"
    assert await harness.bot.repos.tokens.scope_of(token) is None
    code, _, err = await staff("revoke", stored[0].short())
    assert code == 1 and "0 tokens" in err


def test_the_staff_command_is_on_the_bot_cli(capsys, monkeypatch, quiet_logs):
    monkeypatch.delenv("MONGODB_URI", raising=False)
    assert main(["staff", "token", "city"]) == 0
    out, err = capsys.readouterr()
    assert len(out.strip()) >= 40 and "city" in err
    with pytest.raises(SystemExit):
        main(["staff", "complete", "futaba"])  # the child is missing


async def test_seats_for_one_day_or_a_range(staff):
    """`set-seats-days NURSERY FIRST SEATS`: the one day; with --last, every day to it."""
    code, data, _ = await staff("set-seats-days", "futaba", "2024-04-22", "2")
    assert code == 0 and (data["first"], data["last"], data["days"]) == ("2024-04-22",) * 2 + (1,)
    code, data, _ = await staff(
        "set-seats-days", "futaba", "2024-04-22", "1", "--last", "2024-04-24"
    )
    assert code == 0 and (data["last"], data["days"], data["seats"]) == ("2024-04-24", 3, 1)


def test_a_database_out_of_reach_is_one_line_not_a_traceback(capsys, monkeypatch, quiet_logs):
    """Nothing listens on the database's port: the command says so in staff's words, exit 1,
    and prints nothing on stdout (where a script reads the result)."""
    uri = "mongodb://127.0.0.1:9/hoiku?serverSelectionTimeoutMS=300&connectTimeoutMS=300"
    monkeypatch.setenv("MONGODB_URI", uri)
    assert main(["staff", "slots", "futaba"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert "error: データベースに接続できませんでした。" in err


async def test_an_interview_is_moved_then_the_registration_removed_from_the_cli(staff, harness):
    reg = await registration(harness.bot, "U1")
    await staff("add-slot", "futaba", "2024-04-23T10:00")
    await staff("add-slot", "futaba", "2024-04-24T10:00")
    slot = (await harness.bot.repos.interviews.all("futaba"))[0]
    assert await harness.bot.repos.interviews.book(slot.id, reg.id)
    code, data, _ = await staff(
        "move-interview", "futaba", "目黒太郎", "2024-04-24T10:00", "--reason", "行事のため"
    )
    assert code == 0 and data["moved_to"] == "4/24(水) 10:00" and data["notified"]
    code, _, err = await staff("move-interview", "futaba", "目黒太郎", "2024-04-24T10:00")
    assert code == 1 and "目黒 太郎さんの面談はすでに4/24(水) 10:00です。" in err
    code, data, _ = await staff("remove-registration", "futaba", reg.id)
    assert code == 0 and data["interview"] == "4/24(水) 10:00" and data["bookings"] == []
    code, data, _ = await staff("slots", "futaba")
    assert [s["booked"] for s in data] == [0, 0]

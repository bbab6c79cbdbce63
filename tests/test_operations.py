"""Staff operations declared once: the admin API, the CLI and replay steps come from the
declarations; the runner checks who may act, and writes every change to the operation log."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest

from bot.staff import cli as staff_cli
from bot.staff.api import routes
from bot.staff.operation import Actor, Operation
from bot.staff.operations import OPERATIONS
from bot.staff.params import DayParams
from domain.errors import Forbidden, Invalid
from qa.replay.script import load, staff_actions
from tests.interview_support import registration

CITY = Actor("cli", "tester", "city")
FUTABA = Actor("account", "futaba-staff", "futaba")


def _cli_commands() -> set[str]:
    parser = argparse.ArgumentParser()
    staff_cli.register(parser.add_subparsers(dest="command"))
    [staff] = [a for a in parser._subparsers._group_actions if a.choices]
    sub = staff.choices["staff"]
    [ops] = [a for a in sub._subparsers._group_actions if a.choices]
    return set(ops.choices)


def test_every_operation_is_a_cli_command_and_an_api_route() -> None:
    assert set(OPERATIONS) <= _cli_commands()
    declared = {(op.http[0], "/admin/api/" + op.http[1]) for op in OPERATIONS.values() if op.http}
    mounted = {(r.method, r.path) for r in routes()}
    assert declared <= mounted


def test_the_replay_actions_are_the_shared_formats_and_the_staff_changes() -> None:
    assert set(staff_actions()) == {
        "interview_slot",
        "capacity",
        "complete_interview",
        "phone_booking",
        "cancel",
        "cancel_interview",
        "move_interview",
        "missed_interview",
        "remove_registration",
        "correct_contact",
        "close_day",
        "phoned",
        "remove_waiting",
    }


def test_every_change_has_a_label_in_staff_words(config) -> None:
    labels = {op.name: op.label(config.staff.actions) for op in OPERATIONS.values() if op.changes}
    assert labels["cancel-booking"] == "予約の取消" and labels["close-day"] == "臨時休園"
    for name, label in labels.items():  # Japanese, not the operation's code name
        assert label != name and not any("a" <= c.lower() <= "z" for c in label), name
    assert len(set(labels.values())) == len(labels)  # no two changes read the same


@pytest.fixture
def extra_operation():
    """A new operation, declared once and nowhere else (in a test: added to the registry the
    declaration lists make)."""
    op = Operation(
        "day-check",
        "a test-only operation",
        DayParams,
        lambda st, p: st.bookings.day_seats(p.nursery, p.date),
        http=("GET", "nurseries/{nursery}/day-check/{date}"),
        replay="day_check",
        positionals=("nursery", "date"),
    )
    OPERATIONS[op.name] = op
    yield op
    del OPERATIONS[op.name]


async def test_one_declaration_gives_the_route_the_command_and_the_replay_step(
    extra_operation, harness, tmp_path: Path
) -> None:
    assert "day-check" in _cli_commands()
    harness.bot.settings.admin_tokens = ["city:" + "c" * 40]
    # the app built before the declaration has no route; a new one has
    from bot.app import build, create_app

    app = create_app(build(harness.bot.settings, config=harness.bot.config))
    assert ("GET", "/admin/api/nurseries/{nursery}/day-check/{date}") in {
        (r.method, r.resource.canonical) for r in app.router.routes() if r.resource
    }
    script = tmp_path / "s.yaml"
    script.write_text(
        "name: s\nnow: 2024-04-20T09:00+09:00\nsteps:\n"
        "  - staff: {day_check: {nursery: futaba, date: 2024-04-23}}\n",
        encoding="utf-8",
    )
    assert load(script).steps[0].arg[0] == "day_check"


async def test_a_nursery_actor_acts_only_on_its_nursery(harness) -> None:
    ops = harness.bot.operations
    slot = {"nursery": "futaba", "at": "2024-04-23T10:00"}
    assert (await ops.run("add-slot", slot, FUTABA)).capacity == 1
    with pytest.raises(Forbidden):
        await ops.run("add-slot", {**slot, "nursery": "kuwanomi"}, FUTABA)
    with pytest.raises(Forbidden):
        await ops.run("all-duplicates", {}, FUTABA)
    assert await harness.bot.staff.interviews.interview_slots("kuwanomi") == []


async def test_numbers_are_strict_and_nothing_is_written_when_refused(harness) -> None:
    ops = harness.bot.operations
    for seats in (True, "2", 101, -1):
        with pytest.raises(Invalid):
            await ops.run(
                "set-seats", {"nursery": "futaba", "date": "2024-04-23", "seats": seats}, CITY
            )
    assert await harness.bot.repos.audit.recent() == []


async def test_changes_are_logged_with_who_before_and_after(harness, clock) -> None:
    ops = harness.bot.operations
    await ops.run("seats", {"nursery": "futaba", "date": "2024-04-23"}, CITY)  # a read: no log
    await ops.run(
        "set-seats", {"nursery": "双葉の園保育園", "date": "2024-04-23", "seats": 1}, FUTABA
    )
    clock.advance(dt.timedelta(minutes=1))
    await registration(harness.bot, "U1", child="目黒 太郎")
    await ops.run("complete", {"nursery": "futaba", "child": "目黒 太郎"}, CITY)
    [done, seats] = await harness.bot.repos.audit.recent()
    assert (seats.operation, seats.actor, seats.scope, seats.nursery) == (
        "set-seats",
        "futaba-staff",
        "futaba",
        "futaba",
    )
    assert seats.before["hours"][0]["seats"] == 3 and seats.after["hours"][0]["seats"] == 1
    assert done.at - seats.at == dt.timedelta(minutes=1)
    assert (done.operation, done.actor_kind, done.after["child"]) == (
        "complete",
        "cli",
        "目黒 太郎",
    )
    assert done.params == {
        "nursery": "futaba",
        "child": "目黒 太郎",
        "birth_date": None,
        "parent": None,
    }

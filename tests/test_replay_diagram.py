"""`python -m bot diagram`: Mermaid text drawn from the flows' machines."""

from __future__ import annotations

import argparse
import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.cli import main
from domain.config_file import load_config
from domain.services import Services
from qa.diagram import mermaid, run
from storage.clock import TOKYO, FrozenClock, SequentialIds
from tests.echo_flow import EchoFlow
from tests.test_replay_steps import PickFlow


@pytest.fixture
def flows():  # type: ignore[no-untyped-def]
    s = Services(
        load_config(), FrozenClock(dt.datetime(2024, 4, 20, tzinfo=TOKYO)), SequentialIds(), None
    )  # type: ignore[arg-type]
    return [EchoFlow(s), PickFlow(s)]


def test_mermaid_has_every_state_and_transition_with_guards(flows) -> None:  # type: ignore[no-untyped-def]
    assert mermaid(flows[0]) == (
        "---\n"
        "title: registration\n"
        "---\n"
        "stateDiagram-v2\n"
        "    collect\n"
        "    [*] --> collect : begin\n"
        "    collect --> collect : got [not_full]\n"
        "    collect --> [*] : got\n"
    )


def test_one_flow_to_a_folder(flows, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    args = argparse.Namespace(flow="booking", out=str(tmp_path / "d"), svg=True)
    assert run(args, flows) == 0
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["booking.mmd", "booking.svg"]
    text = (tmp_path / "d" / "booking.mmd").read_text(encoding="utf-8")
    assert "    pick --> unused : never\n" in text
    drawing = ET.parse(tmp_path / "d" / "booking.svg").getroot()
    words = {t.text for t in drawing.iter("{http://www.w3.org/2000/svg}text")}
    assert {"start", "pick", "choose", "unused", "end"} <= words
    assert {"begin", "picked", "done", "never"} <= words


def test_unknown_flow_is_refused(flows, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert run(argparse.Namespace(flow="nope", out=None, svg=False), flows) == 2
    assert capsys.readouterr().err == "no flow named 'nope' (flows: registration, booking)\n"


def test_cli_draws_the_apps_flows(capsys: pytest.CaptureFixture[str]) -> None:
    from qa.diagram import app_flows

    names = [f.name for f in app_flows()]
    assert main(["diagram"]) == 0
    out = capsys.readouterr().out
    assert [
        line.removeprefix("title: ") for line in out.splitlines() if line.startswith("title:")
    ] == [*names, "lifecycle"]
    # a registration's life cycle, beside the dialogs: its moves and the clearance's guard
    assert "registered --> interview_booked : book_interview" in out
    assert "interview_lapsed --> cleared : clear [interview_year_open]" in out
    assert "[*] --> registered : register" in out

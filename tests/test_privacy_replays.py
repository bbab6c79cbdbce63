"""No personal data in the logs: the whole replay suite runs with every log line captured
(structlog at DEBUG, and the standard library's loggers), and none of them holds what
the scripts' parents typed or picked - names, addresses, phone numbers, postal codes,
birth dates, free text - in the form typed or in the form the bot stores it."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.logs import configure
from domain import normalize
from domain.config_file import load_config
from qa.replay.batch import run_paths
from qa.replay.script import ScriptError, find, load

OWN = Path(__file__).parent / "replays"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "replays"
SCRIPTS = find([OWN]) + (find([SHARED]) if SHARED.is_dir() else [])


def _forms(text: str) -> set[str]:
    """A typed answer, and what the bot makes of it (digits only, katakana, ISO dates)."""
    out = {text.strip(), normalize.fold(text)}
    for parse in (normalize.postal_code, normalize.phone, normalize.kana, normalize.name):
        value = parse(text)
        if value:
            out.add(value)
    born = normalize.date(text)
    if born is not None:
        out.update({born.isoformat(), born.strftime("%Y/%m/%d")})
    return out


def personal_data(paths: list[Path]) -> set[str]:
    """What the scripts' users typed or picked, and the children staff named, apart from
    the menu's keywords (the same for everyone). Short strings would match unrelated log
    text (a digit, はい, 男; `1234` in a timing), so Japanese under 2 characters, other text
    under 6 and numbers under 7 digits (a postal code) are left out."""
    keywords = set(load_config().keywords)
    found: set[str] = set()
    for path in paths:
        try:
            script = load(path)
        except ScriptError:
            continue
        for step in [*script.setup, *script.steps]:
            if step.kind == "say" and step.arg.strip() not in keywords:
                found |= _forms(step.arg)
            elif step.kind == "pick_date":
                found |= _forms(str(step.arg))
            elif step.kind == "staff":
                _, fields = step.arg
                if fields.get("child"):
                    found |= _forms(str(fields["child"]))
    return {x for x in found if len(x) >= (2 if not x.isascii() else 7 if x.isdigit() else 6)}


@pytest.mark.slow
async def test_the_replay_suite_logs_no_personal_data():
    assert SCRIPTS, "no replay scripts found"
    needles = personal_data(SCRIPTS)
    assert {"目黒 花子", "1530061", "0312345678", "2022-05-01"} <= needles
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    configure("DEBUG", stream=buf)
    try:
        results = await run_paths(SCRIPTS)
    finally:
        configure("INFO")
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert len(results) == len(SCRIPTS)
    text = buf.getvalue()
    assert text.count('"event_handled"') > len(SCRIPTS) * 3  # the logs were captured
    leaks = sorted(
        (needle, line[:200]) for line in text.split("\n") for needle in needles if needle in line
    )
    assert leaks == []

"""A script's `language:` is its users' LINE language: every user of the script (the
default `parent` and those of `as:`) gets a LINE profile in it, Japanese unless said."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qa.replay.batch import local_targets, plan
from qa.replay.runner import Player
from qa.replay.script import ScriptError, parse
from qa.standin import LineStandIn

SCRIPT = """\
name: two parents
now: 2024-04-20T09:00+09:00
{language}
steps:
  - say: Menu
  - expect: {expect_parent}
  - as: other
  - say: メニュー
  - expect: {expect_other}
"""


def _write(tmp_path: Path, language: str, parent: str, other: str) -> Path:
    path = tmp_path / "two.yaml"
    text = SCRIPT.format(language=language, expect_parent=parent, expect_other=other)
    path.write_text(text, encoding="utf-8")
    return path


async def _play(path: Path) -> tuple[str | None, dict[str, str]]:
    standin = LineStandIn()
    await standin.start()
    try:
        [p] = plan([path])
        assert p.script is not None
        async with local_targets(standin=standin)(p.script, "salt") as target:
            failure = await Player(p.script, target).play()
        return (failure.reason if failure else None), dict(standin.languages)
    finally:
        await standin.stop()


@pytest.mark.parametrize(
    ("language", "parent", "other", "spoken"),
    [
        ("language: en", "Please choose from the menu.", "Please choose from the menu.", "en"),
        ("language: ja", "メニューから選んでください。", "メニューから選んでください。", "ja"),
        ("", "メニューから選んでください。", "メニューから選んでください。", "ja"),
    ],
)
def test_every_user_of_a_script_speaks_its_language(
    tmp_path: Path, language: str, parent: str, other: str, spoken: str
) -> None:
    failure, languages = asyncio.run(_play(_write(tmp_path, language, parent, other)))
    assert failure is None
    assert sorted(languages.values()) == [spoken, spoken]


def test_language_defaults_to_japanese_and_refuses_others() -> None:
    text = SCRIPT.format(language="", expect_parent="x", expect_other="y")
    assert parse(text, Path("a.yaml")).language == "ja"
    assert parse(text.replace("\n\n", "\nlanguage: en\n"), Path("a.yaml")).language == "en"
    with pytest.raises(ScriptError) as e:
        parse(text.replace("\n\n", "\nlanguage: [en]\n"), Path("a.yaml"))
    assert e.value.line == 3
    assert e.value.reason.endswith("not a list")

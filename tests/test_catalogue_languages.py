"""Every language's catalogue has every message, with the same placeholders, and its
buttons fit LINE; a translation that does not fit stops start-up naming file and key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from string import Formatter
from typing import Any

import pytest
import yaml

from bot.line.render import MAX_LABEL, render
from domain import labels
from domain.config import AppConfig, ConfigError
from domain.config_file import load_config
from domain.replies import Button, Text
from qa.screen import buttons
from qa.webchat import limits
from tests.config_support import write_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config()
LANGUAGES = CONFIG.languages()


def _raw(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out |= _leaves(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in Formatter().parse(text) if f is not None}


def test_english_is_shipped_beside_japanese() -> None:
    assert LANGUAGES == ["ja", "en"]
    assert CONFIG.switch_words() == {"日本語": "ja", "english": "en"}


@pytest.mark.parametrize("name", ["config.en.yaml"])
def test_a_translation_has_every_message_with_the_same_placeholders(name: str) -> None:
    base = _leaves(_raw("config.yaml")["messages"])
    other = _leaves(_raw(name)["messages"])
    assert sorted(other) == sorted(base)
    for key, text in base.items():
        if key.startswith("formats."):
            continue
        assert _fields(other[key]) == _fields(text), key


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda m: m.pop("greeting"), "config.en.yaml: messages.greeting: missing"),
        (lambda m: m["waiting"].pop("offer_push"), "messages.waiting.offer_push: missing"),
        (
            lambda m: m.update(booking_done="Booked at {nursery}."),
            "config.en.yaml: messages.booking_done: placeholders",
        ),
        (lambda m: m.update(colour="blue"), "messages.colour: unknown key"),
        (
            lambda m: m["formats"].update(day="{weekday} {fortnight}"),
            "messages.formats: day: unknown placeholder fortnight",
        ),
    ],
)
def test_a_broken_message_names_the_file_and_key(tmp_path, change, named: str) -> None:
    words = _raw("config.en.yaml")
    change(words["messages"])
    path = write_config(tmp_path, _raw("config.yaml"))
    (tmp_path / "config.en.yaml").write_text(yaml.safe_dump(words, allow_unicode=True), "utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert named in str(e.value)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda w: w["nurseries"].update(futabaa=w["nurseries"].pop("futaba")),
            "nurseries.futabaa: no nursery has this id in the base",
        ),
        (
            lambda w: w["nurseries"]["futaba"]["questions"]["reason"]["choices"].pop(),
            "nurseries.futaba.questions.reason.choices: 4 items, the base has 5",
        ),
        (lambda w: w.update(menu=["Register a child", "Sign up"]), "'Sign up' is not one of"),
        (lambda w: w["rich_menu"].update(chat_bar_text="x" * 15), "rich_menu.chat_bar_text"),
    ],
)
def test_words_that_do_not_fit_the_base_name_the_key(tmp_path, change, named: str) -> None:
    words = _raw("config.en.yaml")
    change(words)
    path = write_config(tmp_path, _raw("config.yaml"))
    (tmp_path / "config.en.yaml").write_text(yaml.safe_dump(words, allow_unicode=True), "utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert "config.en.yaml" in str(e.value) and named in str(e.value)


def test_a_nursery_added_to_config_yaml_alone_loads_in_its_base_words(tmp_path) -> None:
    """A city adds a nursery by editing config.yaml only: every language offers it, worded
    as the base words it until the translation has it, and start-up names the missing key."""
    from structlog.testing import capture_logs

    raw = _raw("config.yaml")
    added = {**raw["nurseries"][0], "id": "sakura", "name": "さくら保育園", "phone": "03-0000-0009"}
    raw["nurseries"].append(added)
    with capture_logs() as logs:
        config = load_config(write_config(tmp_path, raw))
    english = config.in_language("en")
    assert english.nursery("sakura").name == "さくら保育園"
    assert english.nursery("sakura").questions[0].choices == added["questions"][0]["choices"]
    assert english.nursery("futaba").name != config.nursery("futaba").name  # translated
    [warning] = [e for e in logs if e["event"] == "nursery_not_translated"]
    assert warning["key"] == "nurseries.sakura" and warning["file"].endswith("config.en.yaml")


def _buttons(config: AppConfig) -> list[str]:
    """Every label a parent may see on a button, with the longest values filled in."""
    m = config.messages
    f = m.formats
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(366)]
    out = [m.label_yes, m.label_no, m.label_confirm, m.label_stop, m.label_cancel]
    out += [m.label_male, m.label_female, m.registration_pick_date_label]
    out += [m.waiting.label_take, m.waiting.label_decline, m.waiting.label_leave]
    out += list(config.menu)
    out += [c for n in config.nurseries for q in n.questions for c in q.choices]
    out += [labels.hour(h, f) for h in range(25)]
    out += [m.booking_day_label.format(day=labels.day(d, f), seats=99) for d in days]
    out += [m.waiting.day_label.format(day=labels.day(d, f)) for d in days]
    return out


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_button_fits_lines_twenty_characters(language: str) -> None:
    config = CONFIG.in_language(language)
    too_long = [b for b in _buttons(config) if len(b) > MAX_LABEL]
    assert too_long == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_a_parent_is_sent_stays_within_lines_limits(language: str) -> None:
    """The longest nursery names on buttons, in each language, render within LINE's limits
    and are shown whole (over 20 characters, the choices go on a card)."""
    config = CONFIG.in_language(language)
    names = [f"{config.messages.label_yes}/{n.name}" for n in config.nurseries]
    replies = [Text(config.messages.booking_choose_child, tuple(Button(x) for x in names))]
    batches = render(replies)
    for batch in batches:
        assert limits.check(batch) == []
    assert [b.action["text"] for b in buttons(batches[0])] == names
    assert [b.action["label"] for b in buttons(batches[0])] == names  # whole, on a card

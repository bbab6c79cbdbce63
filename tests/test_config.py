"""A broken config.yaml stops start-up with one line naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from domain.config import ConfigError
from domain.config_file import load_config
from tests.config_support import write_config

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path, mutate) -> Path:
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    mutate(raw)
    return write_config(tmp_path, raw)


def test_shipped_config_has_the_three_nurseries():
    cfg = load_config()
    assert [n.name for n in cfg.nurseries] == [
        "双葉の園保育園",
        "アンジェリカ下目黒2丁目保育園",
        "桑の実中目黒保育園",
    ]
    assert cfg.booking.horizon_days == 10 and cfg.booking.min_hours == 2
    assert cfg.booking.max_days_per_child == 2
    assert cfg.keywords["面談予約の再開"] == "interview"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r["messages"].pop("greeting"), "messages.greeting: missing"),
        (lambda r: r["nurseries"][1].update(phone="call us"), "nurseries.1.phone"),
        (lambda r: r["booking"].update(horizon_days="ten"), "booking.horizon_days"),
        (lambda r: r.update(colour="blue"), "colour: unknown key"),
        (lambda r: r["nurseries"][0]["hours"].update(open=18), "nurseries.0.hours"),
        (lambda r: r.update(menu=["児童の登録", "なにか"]), "'なにか' is not one of the keywords"),
        (lambda r: r.update(website_url="http://x"), "website_url"),
    ],
)
def test_broken_config_names_the_key(tmp_path, mutate, expected):
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, mutate))
    assert expected in str(e.value)
    assert "\n" not in str(e.value)


def test_unreadable_yaml_is_reported(tmp_path):
    p = tmp_path / "config.yaml"
    p.write_text("nurseries: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(p)


def test_server_refuses_to_start_on_broken_config(tmp_path):
    p = _write(tmp_path, lambda r: r["messages"].pop("menu_prompt"))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", "0"],
        cwd=ROOT,
        env={"BOT_CONFIG": str(p), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith("messages.menu_prompt: missing")

"""The console's templates are compiled once per machine: a worker that starts after another
(or after a restart) loads them compiled, and a machine without a writable temporary
directory still serves the console, compiling them itself."""

from __future__ import annotations

import tempfile
from pathlib import Path

import aiohttp
import jinja2
import pytest
from structlog.testing import capture_logs

from bot.staff.console.setup import compiled_templates

TEMPLATES = jinja2.PackageLoader("bot.staff.console", "templates")


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary directory, as `tempfile` reports it, is `tmp_path` (set before
    the app starts: list it before `harness`)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def no_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A temporary directory that cannot be written: its path names a file."""
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_dir))


async def _login_page(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(url + "/staff/login") as r:
        assert r.status == 200
        return await r.text()


def _compiled(cache: jinja2.BytecodeCache, name: str) -> bool:
    env = jinja2.Environment(loader=TEMPLATES)
    source, filename, _ = TEMPLATES.get_source(env, name)
    return cache.get_bucket(env, name, filename, source).code is not None


async def test_a_worker_loads_the_templates_another_compiled(temp_dir: Path, harness) -> None:
    assert "ログイン" in await _login_page(harness.url)
    later = compiled_templates()  # as the next worker to start finds them
    assert later is not None
    assert _compiled(later, "login.html") and _compiled(later, "base.html")
    assert not _compiled(later, "calls.html")  # no page has used it yet
    assert _private(temp_dir)


def _private(directory: Path) -> bool:
    """What jinja2 made there is this user's alone (no group or other permission)."""
    return all(p.stat().st_mode & 0o077 == 0 for p in directory.iterdir())


async def test_without_a_temporary_directory_the_console_compiles_its_own(
    no_temp_dir: None, harness
) -> None:
    assert "ログイン" in await _login_page(harness.url)
    with capture_logs() as logs:
        assert compiled_templates() is None
    assert [e["event"] for e in logs] == ["template_cache_unavailable"]


def test_a_day_is_written_with_the_catalogues_weekday_and_its_holiday(config) -> None:
    from bot.staff.console.dates import Day, day_of

    letters = config.messages.formats.weekdays
    assert day_of(letters, "2024-04-23") == Day("2024-04-23", "火", None)
    assert day_of(letters, "2024-04-29T10:00") == Day("2024-04-29", "月", "昭和の日")

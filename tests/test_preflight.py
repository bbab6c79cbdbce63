"""`python -m bot preflight`: each finding until it is fixed, on a test channel (the LINE
stand-in), then a clean pass; the command's exit status and Japanese report."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet

from bot.app import build, create_app
from bot.cli import main
from bot.context import Settings
from bot.preflight import Preflight, Report
from domain.config import AppConfig
from domain.config_file import load_config
from qa.standin import LineStandIn
from storage.mongo import connect
from storage.repos import Repos
from tests.config_support import write_config
from tests.conftest import WIRE_URI

TOKEN = "channel-access-token-of-the-test-channel"
SECRET = "channel-secret-of-the-test-channel"
ADMIN = "city:" + "a" * 40


def raw_config() -> dict[str, Any]:
    with open("config.yaml", encoding="utf-8") as f:
        raw: dict[str, Any] = yaml.safe_load(f)
    return raw


def confirmed(raw: dict[str, Any]) -> dict[str, Any]:
    """The shipped config with every value confirmed, as a city would leave it."""
    raw["to_confirm"] = []
    for i, n in enumerate(raw["nurseries"], 1):
        n["phone"] = f"03-371{i}-000{i}"
    return raw


@pytest.fixture
async def line():
    standin = LineStandIn()
    standin.channel.access_token = TOKEN
    standin.channel.secret = SECRET
    await standin.start()
    yield standin
    await standin.stop()


def ready_env(line: LineStandIn) -> dict[str, str]:
    return {
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": line.url,
        "STAFF_SESSION_KEY": Fernet.generate_key().decode(),
        "ADMIN_TOKENS": ADMIN,
        "METRICS_TOKEN": "m" * 40,
        "MONGODB_URI": WIRE_URI or "mongodb://checked-through-the-store-given",
    }


async def check(
    config: AppConfig, env: dict[str, str], store: Any, test_webhook: bool = False
) -> Report:
    return await Preflight(_settings(env), config, env, store).run(test_webhook)


def _settings(env: dict[str, str]) -> Settings:
    return Settings(
        channel_secret=env.get("LINE_CHANNEL_SECRET", ""),
        access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN", ""),
        mongodb_uri=env.get("MONGODB_URI"),
        line_api_base=env.get("LINE_API_BASE_URL", "https://api.line.me"),
        admin_tokens=[t for t in env.get("ADMIN_TOKENS", "").split(",") if t],
        staff_session_key=env.get("STAFF_SESSION_KEY", ""),
    )


def said(report: Report) -> str:
    return "\n".join(f"{f.what} {f.fix}" for f in report.findings)


def test_the_shipped_config_is_not_ready_and_the_command_says_what_to_set(monkeypatch, capsys):
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "MONGODB_URI", "BOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    for name in ("STAFF_SESSION_KEY", "ADMIN_TOKENS", "METRICS_TOKEN", "METRICS_ALLOW"):
        monkeypatch.delenv(name, raising=False)
    assert main(["preflight"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("一時保育予約ボット　公開前の確認（preflight）")
    for shown in (
        "双葉の園保育園の電話番号が、確認待ちの値のままです：03-0000-0001",
        "nurseries.kuwanomi.bring",
        "区ウェブサイトの一時保育のページ（website_url）",
        "書類を印刷するページ（forms_url）",
        "rich_menu.back.alias",
        "環境変数 LINE_CHANNEL_SECRET が設定されていません",
        "環境変数 LINE_CHANNEL_ACCESS_TOKEN が設定されていません",
        "環境変数 STAFF_SESSION_KEY が設定されていません",
        "MONGODB_URI が設定されていません",
        "METRICS_TOKEN",
        "ADMIN_TOKENS",
    ):
        assert shown in out
    assert out.rstrip().endswith("Webhookの利用をオンにしてください。")
    assert "残り15件" in out


def test_a_placeholder_phone_is_found_even_when_not_listed_to_confirm():
    raw = confirmed(raw_config())
    raw["nurseries"][1]["phone"] = "03-0000-0002"
    config = AppConfig.model_validate(raw)
    assert config.unconfirmed() == ["nurseries.angelica.phone"]


def test_to_confirm_must_name_keys_of_the_file():
    raw = raw_config()
    raw["to_confirm"].append("nurseries.futaba.fax")
    with pytest.raises(ValueError, match=r"to_confirm: 'nurseries\.futaba\.fax'"):
        AppConfig.model_validate(raw)


async def test_each_finding_goes_once_it_is_fixed_then_preflight_passes(line, store, tmp_path):
    env = ready_env(line)
    raw = raw_config()
    config = AppConfig.model_validate(raw)
    report = await check(config, env, store)
    before = said(report)
    # values to confirm
    assert "03-0000-0003" in before and "nurseries.futaba.bring" in before
    config = load_config(write_config(tmp_path, confirmed(raw)))  # with its English menu
    # the webhook URL LINE has on record
    assert "Webhook URLが登録されていません" in said(await check(config, env, store))
    line.channel.endpoint = "https://hoiku.example.jp/webhook"
    assert "https://hoiku.example.jp/webhook）は、このボットの受け口ではありません" in said(
        await check(config, env, store)
    )
    line.channel.endpoint = "https://hoiku.example.jp/callback"
    # the indexes the code creates
    report = await check(config, env, store)
    assert "MongoDBに索引が足りません" in said(report) and "bookings(" in said(report)
    await Repos.on(store.db).ensure_indexes()
    report = await check(config, env, store)
    assert "MongoDBに索引が足りません" not in said(report)
    assert "MongoDB：接続でき、索引もそろっています" in report.passed
    # the rich menu and the city's menu it switches back to
    assert "一時保育のメニュー（エイリアス meguro-ichiji-hoiku）がLINEにありません" in said(report)
    assert "一時保育のメニュー（エイリアス meguro-ichiji-hoiku-en）がLINEにありません" in said(
        report
    )
    assert "区のメニュー（エイリアス meguro-city-menu）がLINEにありません" in said(report)
    line.richmenus.add_city_menu("meguro-city-menu")
    assert await main_with(env, ["richmenu"]) == 0
    report = await check(config, env, store)
    assert report.findings == []
    assert "LINEのアカウント：目黒区（@meguro_city）" in report.passed
    assert "LINEのWebhook URL：https://hoiku.example.jp/callback（Webhookの利用：オフ）" in (
        report.passed
    )


async def main_with(env: dict[str, str], argv: list[str], config: Path | None = None) -> int:
    """The command with `env`, in a thread: it calls the stand-in in this event loop."""
    with pytest.MonkeyPatch.context() as m:
        for k, v in env.items():
            m.setenv(k, v)
        if config:
            m.setenv("BOT_CONFIG", str(config))
        else:
            m.delenv("BOT_CONFIG", raising=False)
        return await asyncio.to_thread(main, argv)


async def test_environment_findings_name_the_variable(line, store):
    env = ready_env(line)
    config = AppConfig.model_validate(confirmed(raw_config()))
    env["STAFF_SESSION_KEY"] = "not-a-fernet-key"
    env["BOT_TEST_CLOCK"] = "1"
    del env["METRICS_TOKEN"]
    env["ADMIN_TOKENS"] = ""
    found = said(await check(config, env, store))
    assert "STAFF_SESSION_KEY が鍵として読めません" in found
    assert "試験用の設定 BOT_TEST_CLOCK が有効です" in found
    assert "METRICS_TOKEN" in found and "METRICS_ALLOW" in found
    assert "職員用APIのトークンがありません" in found
    # a token made by `staff token` in the database is enough
    await Repos.on(store.db).tokens.create("city", dt.datetime(2024, 4, 1, tzinfo=dt.UTC))
    assert "職員用APIのトークンがありません" not in said(await check(config, env, store))


async def test_a_token_line_refuses_is_a_finding(line, store):
    env = ready_env(line)
    env["LINE_CHANNEL_ACCESS_TOKEN"] = "an-old-token"
    config = AppConfig.model_validate(confirmed(raw_config()))
    found = said(await check(config, env, store))
    assert "LINEがチャネルアクセストークンを受け付けません（401）" in found


async def test_lines_webhook_test_reaches_the_bot_and_proves_the_secret(line, store, config):
    env = ready_env(line)
    ready = AppConfig.model_validate(confirmed(raw_config()))
    bot = build(_settings(env), config=config, store=store)
    server = TestServer(create_app(bot))
    await server.start_server()
    try:
        line.channel.endpoint = f"https://127.0.0.1:{server.port}/callback"
        report = await check(ready, env, store, test_webhook=True)
        assert "LINEからのWebhookのテストが成功しました" in report.passed
        assert line.channel.tests == 1
        line.channel.secret = "the-secret-of-another-channel"
        found = said(await check(ready, env, store, test_webhook=True))
        assert "LINEからのWebhookのテストが失敗しました（400" in found
        assert "LINE_CHANNEL_SECRET" in found
        # without --test-webhook LINE is not asked to call the server
        await check(ready, env, store)
        assert line.channel.tests == 2
    finally:
        await server.close()


@pytest.mark.skipif(not WIRE_URI, reason="the command connects to MONGODB_URI: the wire run")
async def test_the_command_exits_0_once_nothing_is_left(line, tmp_path, capsys):
    env = ready_env(line)
    path = write_config(tmp_path, confirmed(raw_config()))
    assert load_config(path).to_confirm == []
    line.channel.endpoint = "https://hoiku.example.jp/callback"
    line.richmenus.add_city_menu("meguro-city-menu")
    assert await main_with(env, ["richmenu"]) == 0
    env["MONGODB_URI"] = f"{WIRE_URI.rstrip('/')}/preflight_{uuid.uuid4().hex[:12]}"
    db = connect(env["MONGODB_URI"])
    try:
        # the indexes are made by the web process's start
        assert await main_with(env, ["preflight"], path) == 1
        assert "MongoDBに索引が足りません" in capsys.readouterr().out
        await Repos.on(db.db).ensure_indexes()
        assert await main_with(env, ["preflight", "--test-webhook"], path) == 1
        assert "Webhookのテストが失敗しました" in capsys.readouterr().out  # nothing listens
        assert await main_with(env, ["preflight"], path) == 0
        assert "確認はすべて済みました" in capsys.readouterr().out
    finally:
        await db.client.drop_database(db.db.name)
        db.close()

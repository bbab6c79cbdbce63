"""`python -m bot preflight`: what a city must settle before switching LINE's webhook on.

Each check either passes (a line saying what was found) or is a finding: what is wrong
and the config key or environment variable that settles it, in the operators' Japanese
(config.yaml `preflight`). Checked: values still to be confirmed (config `to_confirm`,
placeholder phone numbers); the LINE channel's secret and access token (the token by
LINE's bot-info call); the webhook URL LINE has on record, and with `--test-webhook`
LINE's own test of it (which also proves the secret: the server refuses a badly signed
body); MongoDB reachable with every index the code creates; the staff console's key,
admin API tokens, who may read /metrics; no test switch on; the rich menu and its alias,
and the city menu's alias its back strip switches to. Exit status 0 only when nothing is
left. The Procfile's web process logs the same findings as warnings at start.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import structlog
from cryptography.fernet import Fernet
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    TestWebhookEndpointRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from urllib3.exceptions import HTTPError

from bot.context import Settings
from domain.config import AppConfig, ConfigError
from domain.config_file import load_config
from storage.memory import memory_client
from storage.mongo import Store, connect
from storage.repos import Repos

log = structlog.get_logger(__name__)

WEBHOOK_PATH = "/callback"
LINE_TIMEOUT = 10.0  # seconds for each of LINE's answers
TEST_SWITCHES = ("BOT_TEST_CLOCK", "BOT_WEBCHAT", "BOT_ALLOW_MEMORY_STORE")


@dataclass(frozen=True)
class Finding:
    key: str  # the config key or environment variable that settles it (logged)
    what: str  # in the operators' words (printed, never logged: it may name a nursery)
    fix: str


@dataclass
class Report:
    passed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def text(self, config: AppConfig) -> str:
        words = config.preflight
        lines = [words.title, ""]
        lines += [words.passed.format(what=p) for p in self.passed]
        lines += [words.finding.format(what=f.what, fix=f.fix) for f in self.findings]
        lines.append("")
        count = len(self.findings)
        lines.append(words.remaining.format(count=count) if count else words.clean)
        return "\n".join(lines)


class Preflight:
    """The checks, for one environment and config.yaml."""

    def __init__(
        self,
        settings: Settings,
        config: AppConfig,
        env: Mapping[str, str],
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.config = config
        self.env = env
        self.store = store  # the database to check; default: MONGODB_URI's, connected here
        self.words = config.preflight
        self.report = Report()

    def _find(self, key: str, what: str, fix: str) -> None:
        self.report.findings.append(Finding(key, what, fix))

    async def run(self, test_webhook: bool = False) -> Report:
        self.check_config()
        self.check_environment()
        await self.check_store()
        await asyncio.to_thread(self.check_line, test_webhook)
        return self.report

    # -- config.yaml ---------------------------------------------------------------------
    def check_config(self) -> None:
        w = self.words
        for key in self.config.unconfirmed():
            value = self.config.value_at(key)
            shown = (
                self.config.messages.list_separator.join(value)
                if isinstance(value, list)
                else value
            )
            parts = key.split(".")
            if parts[0] == "nurseries":
                nursery = self.config.nursery(parts[1]).name
                if parts[2] == "phone" and key not in self.config.to_confirm:
                    self._find(
                        key,
                        w.placeholder_phone.format(nursery=nursery, phone=value),
                        w.placeholder_phone_fix.format(key=key),
                    )
                    continue
                name = w.key_names.get(parts[2], key).format(nursery=nursery)
            else:
                name = w.key_names.get(key, key)
            self._find(
                key, w.to_confirm.format(what=name, value=shown), w.to_confirm_fix.format(key=key)
            )
        if self.config.rich_menu is None:
            self._find("rich_menu", w.no_rich_menu, w.no_rich_menu_fix)

    # -- the environment -----------------------------------------------------------------
    def check_environment(self) -> None:
        w, s = self.words, self.settings
        if not s.channel_secret:
            self._find(
                "LINE_CHANNEL_SECRET",
                w.env_missing.format(name="LINE_CHANNEL_SECRET"),
                w.secret_fix,
            )
        if not s.access_token:
            self._find(
                "LINE_CHANNEL_ACCESS_TOKEN",
                w.env_missing.format(name="LINE_CHANNEL_ACCESS_TOKEN"),
                w.token_fix,
            )
        if not s.staff_session_key:
            self._find(
                "STAFF_SESSION_KEY",
                w.env_missing.format(name="STAFF_SESSION_KEY"),
                w.session_key_fix,
            )
        else:
            try:
                Fernet(s.staff_session_key.encode())
            except ValueError:
                self._find("STAFF_SESSION_KEY", w.session_key_invalid, w.session_key_fix)
        if not (self.env.get("METRICS_TOKEN") or self.env.get("METRICS_ALLOW")):
            self._find("METRICS_TOKEN", w.metrics_unset, w.metrics_fix)
        for name in TEST_SWITCHES:
            if self.env.get(name, "0") not in ("", "0"):
                self._find(
                    name, w.test_switch_on.format(name=name), w.test_switch_fix.format(name=name)
                )

    # -- MongoDB -------------------------------------------------------------------------
    async def check_store(self) -> None:
        w = self.words
        if not self.settings.mongodb_uri:
            self._find("MONGODB_URI", w.store_unset, w.store_unset_fix)
            if self.store is None:
                if not self.settings.admin_tokens:
                    self._find("ADMIN_TOKENS", w.admin_tokens, w.admin_tokens_fix)
                return
        store = self.store or connect(self.settings.mongodb_uri, timeout_ms=5000)
        try:
            await store.db.command("ping")
            missing = await missing_indexes(store.db)
            tokens = self.settings.admin_tokens or await Repos.on(store.db).tokens.all()
        except Exception as e:  # any driver error: the operator needs its name, not a trace
            self._find("MONGODB_URI", w.store_down.format(why=type(e).__name__), w.store_down_fix)
            return
        finally:
            if store is not self.store:
                store.close()
        if missing:
            self._find(
                "mongodb.indexes",
                w.store_indexes.format(names=", ".join(missing)),
                w.store_indexes_fix,
            )
        else:
            self.report.passed.append(w.store_ready)
        if not tokens:
            self._find("ADMIN_TOKENS", w.admin_tokens, w.admin_tokens_fix)

    # -- LINE ------------------------------------------------------------------------------
    def check_line(self, test_webhook: bool) -> None:
        if not self.settings.access_token:
            return  # already a finding; nothing can be asked of LINE without it
        w = self.words
        conf = Configuration(
            access_token=self.settings.access_token,
            host=self.settings.line_api_base.rstrip("/"),
        )
        conf.proxy = self.settings.line_proxy
        with ApiClient(conf) as client:
            api = MessagingApi(client)
            try:
                info = api.get_bot_info(_request_timeout=LINE_TIMEOUT)
            except ApiException as e:
                self._find(
                    "LINE_CHANNEL_ACCESS_TOKEN",
                    w.token_refused.format(status=e.status),
                    w.token_fix,
                )
                return
            except HTTPError as e:
                self._find(
                    "LINE_API_BASE_URL",
                    w.line_unreachable.format(why=type(e).__name__),
                    w.line_unreachable_fix,
                )
                return
            self.report.passed.append(
                w.line_account.format(name=info.display_name, basic_id=info.basic_id)
            )
            try:
                self._webhook(api, test_webhook)
                self._menus(api)
            except HTTPError as e:
                self._find(
                    "LINE_API_BASE_URL",
                    w.line_unreachable.format(why=type(e).__name__),
                    w.line_unreachable_fix,
                )

    def _webhook(self, api: MessagingApi, test: bool) -> None:
        w = self.words
        fix = w.webhook_fix.format(path=WEBHOOK_PATH)
        try:
            record = api.get_webhook_endpoint(_request_timeout=LINE_TIMEOUT)
        except ApiException as e:
            self._find(
                "LINE_CHANNEL_ACCESS_TOKEN", w.token_refused.format(status=e.status), w.token_fix
            )
            return
        url = record.endpoint or ""
        if not url:
            self._find("line.webhook_url", w.webhook_unset, fix)
            return
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.path.rstrip("/") != WEBHOOK_PATH:
            self._find("line.webhook_url", w.webhook_wrong.format(url=url), fix)
            return
        active = w.webhook_active[bool(record.active)]
        self.report.passed.append(w.webhook_on_record.format(url=url, active=active))
        if not test:
            return
        try:
            result = api.test_webhook_endpoint(
                TestWebhookEndpointRequest(endpoint=url), _request_timeout=LINE_TIMEOUT * 3
            )
        except ApiException as e:
            self._find(
                "line.webhook_test",
                w.webhook_test_failed.format(status=e.status, reason=""),
                w.webhook_test_fix,
            )
            return
        if result.success:
            self.report.passed.append(w.webhook_test_passed)
        else:
            failed = w.webhook_test_failed.format(
                status=result.status_code or "", reason=result.reason or ""
            )
            self._find("line.webhook_test", failed, w.webhook_test_fix)

    def _menus(self, api: MessagingApi) -> None:
        menu = self.config.rich_menu
        if menu is None:
            return
        w = self.words
        for language in self.config.languages():  # one menu per language, each its alias
            alias = self.config.in_language(language).rich_menu.alias  # type: ignore[union-attr]
            target = _alias(api, alias)
            if target is None:
                self._find("rich_menu.alias", w.menu_missing.format(alias=alias), w.menu_fix)
            else:
                self.report.passed.append(w.menu_ready.format(alias=alias, id=target))
        if menu.back is not None and _alias(api, menu.back.alias) is None:
            self._find(
                "rich_menu.back.alias",
                w.city_menu_missing.format(alias=menu.back.alias),
                w.city_menu_fix,
            )


def _alias(api: MessagingApi, alias: str) -> str | None:
    """The id of the rich menu `alias` points at, if both exist."""
    try:
        rid: str = api.get_rich_menu_alias(alias, _request_timeout=LINE_TIMEOUT).rich_menu_id
        api.get_rich_menu(rid, _request_timeout=LINE_TIMEOUT)
    except ApiException as e:
        if e.status == 404:
            return None
        raise
    return rid


async def missing_indexes(db: Any) -> list[str]:
    """`collection(field, ...)` for each index the code creates (`Repos.ensure_indexes`,
    played on an empty in-memory database) that `db` lacks."""
    model = memory_client()["expected"]
    await Repos.on(model).ensure_indexes()
    missing = []
    for name in sorted(await model.list_collection_names()):
        want = await model[name].index_information()
        have = {_keys(i) for i in (await db[name].index_information()).values()}
        for index in want.values():
            if _keys(index) not in have:
                missing.append(f"{name}({', '.join(k for k, _ in index['key'])})")
    return missing


def _keys(index: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((k, int(d) if isinstance(d, int | float) else d) for k, d in index["key"])


# -- the web process ---------------------------------------------------------------------
async def log_findings(settings: Settings, config: AppConfig, store: Store | None) -> None:
    """The same checks as the command (without LINE's webhook test), as warnings naming
    the key or variable to settle (`python -m bot preflight` says the rest); `store` is
    the server's own database."""
    try:
        report = await Preflight(settings, config, os.environ, store).run()
    except Exception as e:  # a check that cannot run is said, never stops the server
        log.warning("preflight_failed", error=type(e).__name__)
        return
    for f in report.findings:  # by key only: the sentences may name nurseries (not logged)
        log.warning("preflight_finding", key=f.key)
    if not report.findings:
        log.info("preflight_clean")


# -- the command -------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        config = load_config(settings.config_path)
    except ConfigError as e:
        print(f"preflight: {e}", file=sys.stderr)
        return 1
    report = asyncio.run(Preflight(settings, config, os.environ).run(args.test_webhook))
    print(report.text(config))
    return 1 if report.findings else 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("preflight", help="check everything to settle before going live")
    p.add_argument(
        "--test-webhook", action="store_true", help="also ask LINE to test the webhook URL"
    )
    p.set_defaults(func=run)

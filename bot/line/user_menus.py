"""Each parent's rich menu in their language: the flows' `Menus` (domain/services.py) on LINE.

The base language's menu is reached as the city's account has it: its own menu (the
account's default) opens the bot's by alias. A parent reading another language gets that
language's menu linked to them (`POST /v2/bot/user/{userId}/richmenu/{richMenuId}`), in
place of the default; going back to the base language unlinks it (`DELETE
/v2/bot/user/{userId}/richmenu`), so they see the city's menu again. The menu's id is
read from its alias (`GET /v2/bot/richmenu/alias/{aliasId}`, the alias
`python -m bot richmenu` points at the newest menu), kept for a few minutes.

What this process linked or unlinked last is remembered per user, so a parent is linked
once however many sessions they start, and again when the alias names another menu
(`python -m bot richmenu` was run again: deleting the older menu unlinked its users).
Nothing here fails a parent's event: a refusal or no answer is logged, and the link is
tried again when the parent's language is set, or at a later message of theirs once
RETRY_SECONDS have passed (`keep`).
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import quote

import aiohttp
import structlog

from bot.line.client import LineApiError, LineClient
from domain import language
from domain.config import AppConfig

log = structlog.get_logger(__name__)

ALIAS_PATH = "/v2/bot/richmenu/alias/"
ALIAS_SECONDS = 300.0  # how long a menu id read from its alias is trusted
RETRY_SECONDS = 600.0  # a user's link that failed waits this long before `keep` tries again
REMEMBERED = 10_000  # users whose last link this process remembers
_UNKNOWN = object()


class UserMenus:
    def __init__(
        self, line: LineClient, config: AppConfig, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._line = line
        self._clock = clock
        base = config.rich_menu.alias if config.rich_menu else None
        self.base_alias = base  # the menu the city's menu opens, whatever the user reads
        self.aliases: dict[str, str] = {}  # language -> its menu's alias (not the base's)
        for lang in config.languages():
            menu = config.in_language(lang).rich_menu
            if lang != language.BASE and menu is not None and menu.alias != base:
                self.aliases[lang] = menu.alias
        self._ids: dict[str, tuple[float, str | None]] = {}  # alias -> (read at, menu id)
        self._shown: OrderedDict[str, str | None] = OrderedDict()  # user -> linked id
        self._failed: OrderedDict[str, float] = OrderedDict()  # user -> when a link failed
        self._warned: dict[str, float] = {}  # alias -> when its absence was last logged

    async def show(self, user_id: str, language: str) -> None:
        """Links `language`'s menu to the user, or unlinks theirs for the base language (or
        a language without a menu of its own)."""
        if not self._line.started:
            return  # a bot driven without LINE
        alias = self.aliases.get(language)
        try:
            wanted = await self._menu_id(alias) if alias else None
            if alias and wanted is None:
                if self._clock() - self._warned.get(alias, -ALIAS_SECONDS) >= ALIAS_SECONDS:
                    self._warned[alias] = self._clock()  # once per alias per while, not per message
                    log.warning("rich_menu_alias_missing", alias=alias, language=language)
                return
            if self._shown.get(user_id, _UNKNOWN) == wanted:
                return
            path = f"/v2/bot/user/{quote(user_id, safe='')}/richmenu"
            if wanted is None:
                await self._line.call("DELETE", path, "richmenu_unlink")
            else:
                await self._line.call("POST", f"{path}/{wanted}", "richmenu_link")
        except LineApiError as e:
            self._forget(user_id, alias)
            log.warning("rich_menu_link_refused", status=e.status, language=language)
            return
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            self._forget(user_id, alias)
            log.warning("rich_menu_link_failed", error=type(e).__name__, language=language)
            return
        self._failed.pop(user_id, None)
        self._shown[user_id] = wanted
        self._shown.move_to_end(user_id)
        while len(self._shown) > REMEMBERED:
            self._shown.popitem(last=False)

    async def keep(self, user_id: str, language: str) -> None:
        """`show`, unless a link for this user failed less than RETRY_SECONDS ago: a parent's
        every message does not wait on LINE refusing the same link again."""
        failed = self._failed.get(user_id)
        if failed is not None and self._clock() - failed < RETRY_SECONDS:
            return
        await self.show(user_id, language)

    async def switched(self, user_id: str, alias: str, language: str) -> None:
        """LINE showed the user the menu `alias` names. The city's menu opens the base
        language's (its area names one alias for everyone), so a parent reading another
        language is given theirs in its place; a switch back to the city's menu is the
        parent's choice and left as it is."""
        if alias != self.base_alias or language not in self.aliases:
            return
        self._shown.pop(user_id, None)  # LINE replaced what was linked to the user
        await self.show(user_id, language)

    async def _menu_id(self, alias: str) -> str | None:
        """The menu `alias` names (None: no such alias), read again after ALIAS_SECONDS."""
        now = self._clock()
        kept = self._ids.get(alias)
        if kept is not None and now - kept[0] < ALIAS_SECONDS:
            return kept[1]
        try:
            data = await self._line.call("GET", ALIAS_PATH + quote(alias, safe=""), "alias")
        except LineApiError as e:
            if e.status not in (400, 404):  # LINE answers 400 for an alias it does not have
                raise
            rid = None
        else:
            rid = str(json.loads(data)["richMenuId"])
        self._ids[alias] = (now, rid)
        return rid

    def _forget(self, user_id: str, alias: str | None) -> None:
        """After a failure: what the user sees is unknown, and the alias is read again (a
        link to a deleted menu is refused)."""
        self._shown.pop(user_id, None)
        self._failed[user_id] = self._clock()
        self._failed.move_to_end(user_id)
        while len(self._failed) > REMEMBERED:
            self._failed.popitem(last=False)
        if alias:
            self._ids.pop(alias, None)

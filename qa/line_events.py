"""Webhook events built as LINE builds them: for the harness, the console and replays."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from qa.standin import LineStandIn


class EventBuilder:
    """Builds message, postback (menu switches too), follow and unfollow events for one side
    of LINE.

    Each event gets a fresh `webhookEventId` and, where LINE gives one, a reply
    token that the stand-in is told about, so the bot's reply can be matched.
    """

    line: LineStandIn

    def __init__(self, id_prefix: str, token_prefix: str) -> None:
        self._id_prefix = id_prefix
        self._token_prefix = token_prefix
        self._n = itertools.count(1)

    def event_time(self) -> dt.datetime | None:
        """When the events happen (the bot's clock); None stamps them 0."""
        return None

    def _base(self, user: str, kind: str, with_token: bool = True) -> dict[str, Any]:
        n = next(self._n)
        now = self.event_time()
        event: dict[str, Any] = {
            "type": kind,
            "mode": "active",
            "timestamp": int(now.timestamp() * 1000) if now else 0,
            "source": {"type": "user", "userId": user},
            "webhookEventId": f"{self._id_prefix}{n:010d}",
            "deliveryContext": {"isRedelivery": False},
        }
        if with_token:
            token = f"{self._token_prefix}{n:08d}"
            event["replyToken"] = token
            self.line.issue_token(token, user)
        return event

    def text(self, user: str, text: str) -> dict[str, Any]:
        e = self._base(user, "message")
        e["message"] = {"type": "text", "id": str(next(self._n)), "quoteToken": "q", "text": text}
        return e

    def postback(self, user: str, data: str, date: str | None = None) -> dict[str, Any]:
        e = self._base(user, "postback")
        e["postback"] = {"data": data, **({"params": {"date": date}} if date else {})}
        return e

    def menu_switch(self, user: str, data: str, alias: str) -> dict[str, Any]:
        """A tap on a rich menu's `richmenuswitch` area: LINE shows the menu of `alias` and
        sends the bot this postback (the action's data, the new alias, the switch's status)."""
        e = self._base(user, "postback")
        e["postback"] = {
            "data": data,
            "params": {"newRichMenuAliasId": alias, "status": "SUCCESS"},
        }
        return e

    def follow(self, user: str) -> dict[str, Any]:
        e = self._base(user, "follow")
        e["follow"] = {"isUnblocked": False}
        return e

    def unfollow(self, user: str) -> dict[str, Any]:
        return self._base(user, "unfollow", with_token=False)

"""One inbox entry, handled: LINE event -> flow input -> replies rendered and delivered."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import structlog

from bot.line.client import LineClient, retry_key
from bot.line.render import render
from bot.logs import user_hash
from domain.config import AppConfig
from domain.parents import Parents
from domain.replies import Reply, Text
from flows.base import Input
from flows.engine import Dialog
from storage.clock import Clock

log = structlog.get_logger(__name__)

HANDLED = {"message", "postback", "follow", "unfollow"}
ANSWERED = {"message", "postback", "follow"}  # events whose sender expects an answer
SHARED_CHATS = {"group", "room"}


MAX_ID = 200  # characters kept of LINE's ids and tokens; real ones are far shorter
# The latest event time kept (ms since the epoch): the last day a datetime can hold. A
# signed body dated later is treated as undated, like one without a timestamp.
LATEST_TIMESTAMP_MS = int(dt.datetime(9999, 12, 31, tzinfo=dt.UTC).timestamp()) * 1000


def _str(value: Any, limit: int | None = None) -> str | None:
    """A string as it can be stored: lone surrogates (from JSON escapes) replaced."""
    if not isinstance(value, str):
        return None
    text = value if limit is None else value[:limit]
    return text.encode("utf-8", "replace").decode("utf-8")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def clean_event(event: dict[str, Any]) -> dict[str, Any] | None:
    """The parts of a webhook event the bot uses, type-checked; None without an event id.

    Only these are stored, so a body of any shape (it is signed, not validated by LINE's
    SDK) can neither break storage (BSON) nor the handler, and no unused data is kept.
    """
    event_id = _str(event.get("webhookEventId"), MAX_ID)
    if not event_id:
        return None
    ts = event.get("timestamp")
    src = _dict(event.get("source"))
    out: dict[str, Any] = {
        "webhookEventId": event_id,
        "type": _str(event.get("type"), MAX_ID) or "",
        "timestamp": ts if isinstance(ts, int) and 0 <= ts <= LATEST_TIMESTAMP_MS else 0,
        "source": {k: v for k in ("type", "userId") if (v := _str(src.get(k), MAX_ID))},
    }
    token = _str(event.get("replyToken"), MAX_ID)
    if token:
        out["replyToken"] = token
    if out["type"] == "message":
        msg = _dict(event.get("message"))
        out["message"] = {"type": _str(msg.get("type"), MAX_ID) or ""}
        text = _str(msg.get("text"))
        if text is not None:
            out["message"]["text"] = text
    elif out["type"] == "postback":
        pb = _dict(event.get("postback"))
        out["postback"] = {"data": _str(pb.get("data")) or ""}
        params = _dict(pb.get("params"))
        date = _str(params.get("date"), 10)
        if date:
            out["postback"]["params"] = {"date": date}
        alias = _str(params.get("newRichMenuAliasId"), MAX_ID)
        if alias:
            out["postback"]["params"] = {"newRichMenuAliasId": alias}
    return out


def switched_to(event: dict[str, Any]) -> str:
    """The alias of the menu a rich menu switch opened (the city's menu opening this one, or
    its back strip), "" for any other event. LINE shows the other menu by itself, so the bot
    has nothing to say and no flow to touch (the menus follow the parent's language)."""
    if event.get("type") != "postback":
        return ""
    params = _dict(_dict(event.get("postback")).get("params"))
    return str(params.get("newRichMenuAliasId") or "")


def is_menu_switch(event: dict[str, Any]) -> bool:
    return bool(switched_to(event))


def user_of(event: dict[str, Any]) -> str:
    """The LINE user of a one-to-one chat; "" for any other source (never a group or room:
    those have no session, queue or data of their own)."""
    src = _dict(event.get("source"))
    if src.get("type") != "user":
        return ""
    return _str(src.get("userId"), MAX_ID) or ""


def in_shared_chat(event: dict[str, Any]) -> bool:
    """Sent in a LINE group or room (several people read the answer)."""
    return _dict(event.get("source")).get("type") in SHARED_CHATS


def to_input(event: dict[str, Any]) -> Input:
    """The flows' input for a (cleaned) event."""
    kind = event.get("type")
    if kind == "follow":
        return Input("follow")
    if kind == "unfollow":
        return Input("unfollow")
    if kind == "postback":
        pb = _dict(event.get("postback"))
        date = _dict(pb.get("params")).get("date")
        return Input("postback", data=str(pb.get("data", "")), date=date)
    if kind == "message":
        msg = _dict(event.get("message"))
        if msg.get("type") == "text":
            return Input("text", text=str(msg.get("text", "")))
    return Input("other")


class Pusher:
    """The flows' Notifier: renders and pushes, skipping users who blocked the account."""

    def __init__(self, line: LineClient, dialog_users: Any) -> None:
        self._line = line
        self._users = dialog_users

    async def push(self, user_id: str, replies: list[Reply], key: str) -> bool:
        if await self._users.is_blocked(user_id):
            return False
        batches = render(replies)
        for i, batch in enumerate(batches):
            await self._line.push(user_id, batch, retry_key(user_id, key, str(i)))
        return True


class EventHandler:
    def __init__(self, dialog: Dialog, line: LineClient, clock: Clock, parents: Parents) -> None:
        self.dialog = dialog
        self.line = line
        self.clock = clock
        self.parents = parents

    def _loading(self, event: dict[str, Any], user: str) -> Any:
        """Starts LINE's loading animation, before a step the flows mark as slow (one-to-one
        chats only: LINE shows it nowhere else)."""
        if _dict(event.get("source")).get("type") != "user":
            return None
        return lambda: self.line.show_loading(user)

    async def __call__(self, entry: dict[str, Any]) -> None:
        event = entry["event"]
        event_id = entry["_id"]
        user = entry["user"]
        if event.get("type") not in HANDLED or not user:
            log.info("event_ignored", event_id=event_id, type=event.get("type"))
            return
        alias = switched_to(event)
        if alias:
            log.info("menu_switched", event_id=event_id, user=user_hash(user))
            await self.parents.menu_switched(user, alias)
            return
        started = time.perf_counter()
        inp = to_input(event)
        outcome = await self.dialog.handle(user, inp, event_id, self._loading(event, user))
        handled_ms = (time.perf_counter() - started) * 1000
        how = "none"
        if outcome.replies:
            sent_at = dt.datetime.fromtimestamp(event.get("timestamp", 0) / 1000, dt.UTC)
            age = self.clock.now() - sent_at
            batches = render(outcome.replies)
            token = event.get("replyToken")
            # handled before and no error reported: its worker died answering, maybe after
            # the reply went out, so the reply token is the only proof either way
            cut_short = outcome.replayed and not entry.get("failed")
            how = await self.line.deliver(
                user, batches, event_id, token, age, outcome.replayed, cut_short
            )
        for other, replies in outcome.pushes:
            await self.dialog.services.notifier.push(other, replies, f"{event_id}:{other}")
        log.info(
            "event_handled",
            event_id=event_id,
            user=user_hash(user),
            input=inp.kind,
            flow=outcome.flow,
            state=outcome.state,
            replayed=outcome.replayed,
            delivered=how,
            handle_ms=round(handled_ms, 2),
            total_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    async def gave_up(self, user: str, item: dict[str, Any]) -> None:
        """The event was given up on (parked after its retries). If its dialog step was done
        and only the answer did not go out, the stored answer is sent (under the event's own
        retry keys, so LINE takes it once); otherwise the sender is told it was not handled,
        in their language. A reply while the token lasts, else a push. Never raises: a
        failed notice is logged (the event itself is kept for staff)."""
        event = _dict(item.get("event"))
        if event.get("type") not in ANSWERED or is_menu_switch(event) or not user:
            return
        event_id = str(item.get("id", ""))
        services = self.dialog.services
        try:
            stored = await self.dialog.answered(user, event_id)
            if stored is None:
                lang = await services.language_of(user)
                stored = [Text(services.base_config.in_language(lang).messages.error_retry)]
                key = f"{event_id}:gave-up"
            else:
                key = event_id
            sent_at = dt.datetime.fromtimestamp(event.get("timestamp", 0) / 1000, dt.UTC)
            await self.line.deliver(
                user,
                render(stored),
                key,
                event.get("replyToken"),
                self.clock.now() - sent_at,
                replay=key == event_id,
            )
        except Exception as e:
            log.warning(
                "gave_up_notice_failed",
                event_id=event_id,
                user=user_hash(user),
                error=type(e).__name__,
            )
            return
        log.info("gave_up_notice", event_id=event_id, user=user_hash(user), answer=key == event_id)


class SharedChats:
    """Groups and rooms: personal flows run only in one-to-one chats.

    The account answers the events that would start or continue a flow (being added to the
    group, a menu keyword, a button) with one catalogue message asking the parent to use a
    one-to-one chat, by reply only; other chatter in the group gets no answer. Nothing is
    stored for a group or room: no inbox entry, queue or session. A reply token works once,
    so a redelivered event cannot post the notice twice.
    """

    def __init__(self, line: LineClient, config: AppConfig) -> None:
        self._line = line
        self._config = config

    def wants_notice(self, event: dict[str, Any]) -> bool:
        kind = event.get("type")
        if kind == "join" or (kind == "postback" and not is_menu_switch(event)):
            return True
        if kind == "message":
            msg = _dict(event.get("message"))
            text = msg.get("text")
            return (
                msg.get("type") == "text"
                and isinstance(text, str)
                and (text.strip() in self._config.keywords)
            )
        return False

    async def answer(self, event: dict[str, Any]) -> None:
        """Reply with the notice (if the event calls for one); never raises."""
        event_id = _str(event.get("webhookEventId"), MAX_ID)
        source = _str(_dict(event.get("source")).get("type"), 20)
        kind = _str(event.get("type"), 40)
        token = _str(event.get("replyToken"), MAX_ID)
        if not token or not self.wants_notice(event):
            log.info("shared_chat_ignored", event_id=event_id, source=source, type=kind)
            return
        batches = render([Text(self._config.messages.shared_chat_notice)])
        try:
            await self._line.reply(token, batches[0])
        except Exception as e:  # a notice is best effort: a spent token, LINE down
            log.warning("shared_chat_notice_failed", event_id=event_id, error=type(e).__name__)
            return
        log.info("shared_chat_notice", event_id=event_id, source=source, type=kind)

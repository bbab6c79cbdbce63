"""The browser chat's state: its LINE users, what each saw, the recording, the page streams.

A visitor's step becomes a LINE webhook event (built as LINE builds them) that
goes the webhook's way: cleaned, stored in the inbox and handled in the user's
order by the dispatcher and the flows. What the bot sends reaches the chat's
LINE stand-in (`sink.py`) through the real LINE client and is streamed to the
page as LINE's JSON, with what LINE would refuse (`limits.py`).

Each user also has the rich menu LINE shows them (`menus.py`): the one the bot linked to
them, else the account's default, the city's menu (a stand-in), as on @meguro_city. A tap
on a `richmenuswitch` area shows the other menu and sends the bot LINE's postback, which it
leaves unanswered; a switch is noted in the chat, not recorded (a replay has no menu step).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

import structlog

from bot.context import Bot, Settings
from bot.line.events import clean_event, user_of
from qa.line_events import EventBuilder
from qa.replay.record import Recorder
from qa.screen import buttons, full_label
from qa.standin import Sent
from qa.webchat import limits
from qa.webchat.demo import still_possible
from qa.webchat.menus import Menus, menus
from qa.webchat.sink import Sink
from qa.webchat.staff import staff_do

log = structlog.get_logger(__name__)

DEFAULT_USERS = ("parent", "spouse", "other-parent")
LANGUAGES = {"ja": "日本語", "en": "English"}  # a chat user's LINE language -> its name
STEP_LIMIT = 30.0  # seconds the bot may take over one step
CLOCK_GAP = dt.timedelta(minutes=10)  # a longer pause is written into the recording


class ChatError(Exception):
    """A request the chat cannot do; `reason` is shown on the page."""


@dataclass
class ChatUser:
    name: str
    uid: str
    script_name: str  # the name in a saved replay (a reset user is a new LINE account)
    generation: int = 1
    following: bool = False
    log: list[dict[str, Any]] = field(default_factory=list)
    screen: list[dict[str, Any]] = field(default_factory=list)  # the latest messages
    menu: str | None = None  # the alias of the rich menu on screen (None: the account's)
    language: str = "ja"  # the language the user's LINE is set to (their LINE profile's)
    spoken: bool = False  # the bot has had an event from this account (and read its profile)


class _Events(EventBuilder):
    def __init__(self, chat: Room) -> None:
        self.line = chat.sink.standin
        self._chat = chat
        super().__init__("01WEBCHAT", "webchat")

    def event_time(self) -> dt.datetime | None:
        return self._chat.bot.services.now() if self._chat.bot else None


class Room:
    def __init__(self, settings: Settings) -> None:
        upstream = settings.line_api_base if settings.channel_secret else None
        self.sink = Sink(upstream)
        # the bot's LINE client sends to the sink; a placeholder token without a channel
        self.settings = dataclasses.replace(
            settings,
            line_api_base=self.sink.url,
            access_token=settings.access_token or "webchat",
        )
        self.bot: Bot | None = None
        self.users: dict[str, ChatUser] = {}
        self.by_uid: dict[str, ChatUser] = {}
        self.events = _Events(self)
        self.streams: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self.demo: list[tuple[str, dict[str, Any]]] = []
        self.recorder: Recorder | None = None
        self._last_time: dt.datetime | None = None
        self._lock = asyncio.Lock()
        self._seq = itertools.count(1)
        self._menus: Menus | None = None
        self._recorded: set[str] = set()  # the accounts with a step in the recording
        self.sink.standin.on_sent = self._on_sent
        self.sink.standin.on_refused = self._on_refused
        self.sink.on_link = self._linked
        for name in DEFAULT_USERS:
            self.add_user(name)

    # -- users -------------------------------------------------------------------------------
    def _uid(self, name: str, generation: int) -> str:
        return "U" + hashlib.sha1(f"webchat\0{name}\0{generation}".encode()).hexdigest()[:32]

    def add_user(self, name: str) -> ChatUser:
        name = " ".join(name.split())[:30]
        if not name or name in self.users:
            raise ChatError("a user needs a new, non-empty name")
        user = ChatUser(name, self._uid(name, 1), name)
        self._register(user)
        self._publish({"kind": "users", "users": self.user_views()})
        return user

    def _register(self, user: ChatUser) -> None:
        self.users[user.name] = user
        self.by_uid[user.uid] = user
        self.sink.users.add(user.uid)
        self.sink.standin.languages[user.uid] = user.language

    def user(self, name: str) -> ChatUser:
        try:
            return self.users[name]
        except KeyError:
            raise ChatError(f"there is no user {name}") from None

    def user_views(self) -> list[dict[str, Any]]:
        return [
            {
                "name": u.name,
                "script_name": u.script_name,
                "following": u.following,
                "menu": self.menu_of(u),
                "language": u.language,
            }
            for u in self.users.values()
        ]

    async def set_language(self, name: str, language: str) -> None:
        """The language `name`'s LINE is set to. The bot reads it when the account first
        writes or adds it as a friend; after that, the parent switches as on LINE, by
        sending the language's name (`English`, `日本語`), which is sent for them."""
        if language not in LANGUAGES:
            raise ChatError(f"the LINE language is one of: {', '.join(LANGUAGES)}")
        user = self.user(name)
        if language == user.language:
            return
        user.language = language
        self.sink.standin.languages[user.uid] = language
        self._publish({"kind": "users", "users": self.user_views()})
        self._add(user, {"kind": "note", "text": f"LINE language: {LANGUAGES[language]}"})
        words = self.bot.config.in_language(language).switch if self.bot else []
        if user.spoken and words:
            await self.say(name, words[0])

    # -- rich menus -----------------------------------------------------------------------------
    @property
    def menus(self) -> Menus:
        """The chat's rich menus (from the bot's config, once the bot is mounted)."""
        if self._menus is None:
            assert self.bot is not None
            self._menus = menus(self.bot.config)
        return self._menus

    def menu_of(self, user: ChatUser) -> str | None:
        """The alias of the menu `user` sees: the last one switched to, else LINE's for them."""
        if self.bot is None:
            return user.menu
        return user.menu or self.sink.menu_for(user.uid) or self.menus.start

    def _linked(self, uid: str) -> None:
        """The bot linked a menu to `uid` or unlinked theirs: LINE shows it in place of any."""
        user = self.by_uid.get(uid)
        if user is not None:
            user.menu = None
            self._publish({"kind": "users", "users": self.user_views()})
            shown = self.menus.by_alias.get(self.menu_of(user) or "", {}).get("chatBarText")
            self._add(user, {"kind": "menu", "text": f"menu → {shown} · set by the bot"})

    def reset(self, name: str) -> ChatUser:
        """A fresh LINE account for this user: new ID, empty chat, not yet a friend."""
        old = self.user(name)
        gen = old.generation + 1
        user = ChatUser(name, self._uid(name, gen), f"{name}-{gen}", gen, language=old.language)
        self._register(user)
        self._publish({"kind": "reset", "user": name, "users": self.user_views()})
        return user

    # -- what the bot sent ---------------------------------------------------------------------
    def _on_sent(self, sent: Sent) -> None:
        self._show(sent, refused=False)

    def _on_refused(self, sent: Sent) -> None:
        """A body the LINE client's models do not take: LINE answers 400 and the parent sees
        nothing, but the page shows what was sent, flagged with each broken limit."""
        self._show(sent, refused=True)

    def _show(self, sent: Sent, refused: bool) -> None:
        user = self.by_uid.get(sent.user)
        if user is None or self.users.get(user.name) is not user:
            return  # a reset user's old account
        warnings = limits.check(sent.messages)
        if refused and not warnings:
            warnings = ["the LINE client's request models do not take this body"]
        if warnings:
            log.warning("webchat_line_would_refuse", via=sent.via, problems=len(warnings))
        if not refused:
            user.screen = sent.messages
        entry = {"kind": "bot", "via": sent.via, "messages": sent.messages, "warnings": warnings}
        self._add(user, entry | {"refused": refused})

    def _add(self, user: ChatUser, entry: dict[str, Any]) -> None:
        at = self.bot.services.now() if self.bot else dt.datetime.now()
        entry = {"id": next(self._seq), "user": user.name, "time": f"{at:%H:%M}", **entry}
        user.log.append(entry)
        self._publish(entry)

    def _publish(self, entry: dict[str, Any]) -> None:
        for q in self.streams:
            q.put_nowait(entry)

    def snapshot(self) -> dict[str, Any]:
        assert self.bot is not None
        return {
            "kind": "hello",
            "users": self.user_views(),
            "logs": {u.name: u.log for u in self.users.values()},
            "menus": self.menus.views(),
            "start_menu": self.menus.start,
            "demo": bool(self.demo),
        }

    # -- the visitor's steps ------------------------------------------------------------------
    async def say(self, name: str, text: str) -> None:
        if not text.strip():
            raise ChatError("nothing to send")
        user = self.user(name)
        self._add(user, {"kind": "user", "text": text})
        await self._step(user, {"say": text}, self.events.text(user.uid, text))

    async def tap(self, name: str, action: dict[str, Any]) -> None:
        user = self.user(name)
        label, context = self._button(user, action)
        kind = action.get("type")
        step = {"tap": {"label": label, "in": context}}
        if kind == "message":
            text = str(action.get("text", ""))
            self._add(user, {"kind": "user", "text": text})
            await self._step(user, step, self.events.text(user.uid, text))
        elif kind == "postback":
            shown = action.get("displayText")
            if shown:
                self._add(user, {"kind": "user", "text": str(shown)})
            event = self.events.postback(user.uid, str(action.get("data", "")))
            await self._step(user, step, event)
        elif kind == "uri":  # LINE opens the link; the bot hears nothing
            await self._step(user, step, None)
        else:
            raise ChatError(f"a {kind} button is not tapped this way")

    async def switch_menu(self, name: str, action: dict[str, Any]) -> None:
        """A tap on a `richmenuswitch` area of the menu on the user's screen: the other menu
        is shown and the bot gets LINE's postback (noted in the chat with whether the bot
        answered it, which it should not; not recorded, as no replay step is one)."""
        user = self.user(name)
        try:
            target = self.menus.switch(self.menu_of(user), action)
        except ValueError as e:
            raise ChatError(str(e)) from None
        user.menu = target
        self._publish({"kind": "users", "users": self.user_views()})
        event = self.events.menu_switch(user.uid, str(action.get("data", "")), target)
        sent = await self._deliver(user, event)
        shown = self.menus.by_alias[target].get("chatBarText", target)
        answer = "the bot answered" if sent else "no reply"
        self._add(user, {"kind": "menu", "text": f"menu → {shown} · postback: {answer}"})

    async def pick_date(self, name: str, action: dict[str, Any], day: str) -> None:
        user = self.user(name)
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise ChatError(f"{day!r} is not a date") from None
        lo, hi = str(action.get("min", ""))[:10], str(action.get("max", ""))[:10]
        if (lo and day < lo) or (hi and day > hi):
            raise ChatError(f"the date picker offers {lo or '…'} to {hi or '…'} only")
        event = self.events.postback(user.uid, str(action.get("data", "")), day)
        await self._step(user, {"pick_date": day}, event)

    async def follow(self, name: str) -> None:
        user = self.user(name)
        user.following = True
        self._add(user, {"kind": "note", "text": "added the account as a friend"})
        self._publish({"kind": "users", "users": self.user_views()})
        await self._step(user, {"follow": None}, self.events.follow(user.uid))

    async def unfollow(self, name: str) -> None:
        user = self.user(name)
        user.following = False
        self._add(user, {"kind": "note", "text": "blocked the account"})
        self._publish({"kind": "users", "users": self.user_views()})
        await self._step(user, {"unfollow": None}, self.events.unfollow(user.uid))

    def _button(self, user: ChatUser, action: dict[str, Any]) -> tuple[str, str]:
        """The tapped button's whole label and the text of the message it sits in."""
        seen = [m for e in reversed(user.log) if e["kind"] == "bot" for m in e["messages"]]
        for b in buttons(user.screen) + buttons(seen):
            if b.action == action:
                return b.label, b.context
        return full_label(action), ""

    async def _step(
        self, user: ChatUser, step: dict[str, Any], event: dict[str, Any] | None
    ) -> None:
        assert self.bot is not None
        async with self._lock:
            rec = self._recording()
            rec.as_user(user.script_name)
            self._record_language(rec, user)
            if event is not None:
                user.spoken = True
                await self._handled(event)
            rec.step(step, self.sink.standin.take(user.uid))

    async def _deliver(self, user: ChatUser, event: dict[str, Any]) -> list[Sent]:
        """An event the recording does not hold, handled; what the bot sent for it."""
        async with self._lock:
            user.spoken = True
            await self._handled(event)
            return self.sink.standin.take(user.uid)

    def _record_language(self, rec: Recorder, user: ChatUser) -> None:
        """The recording's `language:` is its first user's LINE language; a user who reads
        another has it on their `as:` step."""
        if user.uid in self._recorded:
            return
        self._recorded.add(user.uid)
        if rec.language is None:
            rec.language = user.language
        elif rec.language != user.language:
            rec.speaks(user.script_name, user.language)

    async def _handled(self, event: dict[str, Any]) -> None:
        """The event through the webhook's way, until the bot is done with it."""
        assert self.bot is not None
        cleaned = clean_event(event)
        assert cleaned is not None
        await self.bot.dispatcher.accept([(cleaned["webhookEventId"], user_of(cleaned), cleaned)])
        try:
            await asyncio.wait_for(self.bot.dispatcher.idle(), STEP_LIMIT)
        except TimeoutError:
            log.warning("webchat_step_slow")

    # -- staff ----------------------------------------------------------------------------------
    async def staff(
        self, action: str, params: dict[str, Any], record: dict[str, Any]
    ) -> dict[str, Any]:
        """A staff action from the demo panel; recorded with the pushes it caused."""
        assert self.bot is not None
        async with self._lock:
            rec = self._recording()
            result: dict[str, Any] = await staff_do(self.bot, action, params)
            try:
                await asyncio.wait_for(self.bot.dispatcher.idle(), STEP_LIMIT)
            except TimeoutError:
                log.warning("webchat_staff_slow")
            rec.staff(action, record)
            for u in self.users.values():
                rec.pushed(
                    u.script_name, [m for s in self.sink.standin.take(u.uid) for m in s.messages]
                )
        return result

    # -- recording ------------------------------------------------------------------------------
    def _recording(self) -> Recorder:
        """The recording (begun at the first step); a long pause becomes a `clock:` step."""
        assert self.bot is not None
        now = self.bot.services.now()
        if self.recorder is None:
            self.recorder = Recorder("browser chat recording", now=now)
            for action, params in self.demo:
                if still_possible(action, params, now):
                    self.recorder.staff(action, params, setup=True)
        elif self._last_time is not None and now - self._last_time >= CLOCK_GAP:
            self.recorder.clock(now)
        self._last_time = now
        return self.recorder

    def replay_text(self) -> str:
        if self.recorder is None:
            raise ChatError("nothing has been said yet")
        return self.recorder.dump()

"""The dialog engine: routes one user input to the right flow and keeps the session.

Each event is handled in the user's language (domain/language.py; the session keeps it).
Order of precedence for a message: follow/unfollow; a language's name (`English`,
`日本語`: switches, then the flow in progress asks again); an answer to a waiting-list
offer (its pushed 予約する/辞退する, flows/offer_answers.py: answered, then the flow
in progress asks its question again); a menu keyword (interrupts
any flow at any state; a flow holding answers worth keeping asks first, and the
website link leaves the flow where it was); the flow in progress; otherwise the
free-text notice, with the phone numbers of the user's nurseries, and the menu.
The session (the dialog's own state, in the store the engine is given, as
aiogram's FSM storage) is written compare-and-set: if another process wrote it
meanwhile, the input is handled again on the fresh state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from domain import language, normalize
from domain.parents import Parents
from domain.replies import Button, Carousel, Column, Outbox, Reply, Sticker, Text
from domain.services import Services
from flows.base import START, Flow, Input, Run
from flows.offer_answers import OfferAnswers
from storage.sessions import SessionDoc

log = structlog.get_logger(__name__)

MAX_CAS_ATTEMPTS = 5
LEAVING = "_leaving"  # session data: the keyword waiting for はい/いいえ before it drops answers

Slow = Callable[[], Awaitable[None]]


class SessionConflict(Exception):
    """The session kept changing under us: handled as a retryable failure."""


@dataclass
class Outcome:
    replies: list[Reply]
    pushes: list[tuple[str, list[Reply]]] = field(default_factory=list)
    flow: str | None = None
    state: str | None = None
    replayed: bool = False  # True when this event had been handled before


class SessionStore(Protocol):
    """Where sessions live (storage/sessions.py): read, and saved compare-and-set."""

    async def get(self, user_id: str) -> SessionDoc: ...
    async def save(self, doc: SessionDoc) -> bool: ...


class Dialog:
    def __init__(self, services: Services, flows: list[type[Flow]], sessions: SessionStore) -> None:
        self.services = services
        self.sessions = sessions
        self.parents = Parents(services)
        self.offer_answers = OfferAnswers(services)
        self.flows: dict[str, Flow] = {}
        for cls in flows:
            self.flows[cls.name] = cls(services)

    # -- entry point -----------------------------------------------------------------------
    async def handle(
        self,
        user_id: str,
        inp: Input,
        event_id: str,
        on_slow: Callable[[], Awaitable[object]] | None = None,
    ) -> Outcome:
        """Handle one input exactly once: a re-run of `event_id` returns the stored replies.

        `on_slow` is awaited (once) before the input goes to a flow state marked slow, so the
        caller can show that an answer is coming."""
        slow = _once(on_slow)
        for _ in range(MAX_CAS_ATTEMPTS):
            session = await self.sessions.get(user_id)
            if event_id and session.last_event == event_id:
                return Outcome(
                    [reply_from_dict(r) for r in session.last_replies],
                    flow=session.flow,
                    state=session.state,
                    replayed=True,
                )
            out = Outbox()
            spoken, settled = await self.parents.language(
                user_id, session.language, inp.kind == "follow"
            )
            session.language = spoken if settled else None
            with language.speaking(spoken):
                await self._route(session, inp, out, slow)
            session.last_event = event_id
            session.last_replies = [reply_to_dict(r) for r in out.replies]
            session.updated_at = self.services.now()
            if await self.sessions.save(session):
                return Outcome(out.replies, out.pushes, session.flow, session.state)
            log.info("session_conflict_retry", flow=session.flow)
        raise SessionConflict("session changed too often while handling an event")

    async def answered(self, user_id: str, event_id: str) -> list[Reply] | None:
        """The replies stored for `event_id` if it was handled (its session saved), else
        None; nothing is run."""
        session = await self.sessions.get(user_id)
        if event_id and session.last_event == event_id:
            return [reply_from_dict(r) for r in session.last_replies]
        return None

    # -- routing ---------------------------------------------------------------------------
    async def _route(self, session: SessionDoc, inp: Input, out: Outbox, slow: Slow) -> None:
        msg = self.services.msg
        if inp.kind in ("follow", "unfollow"):
            await self.parents.follow(session.user_id, inp.kind == "follow")
            _clear(session)
            if inp.kind == "follow":
                out.say(msg.greeting)
                self.menu(out)
            return
        expired = session.active() and self._expired(session)
        timed_out = self.flows.get(session.flow or "") if expired else None
        if expired:
            log.info("session_expired", flow=session.flow, state=session.state)
            _clear(session)
        switch = self._switch_word(inp)
        if switch is not None:
            await self._switch(session, switch, out)
            return
        offer = self.offer_answers.of(inp)
        if offer is not None:
            await slow()
            await self.offer_answers.answer(session.user_id, *offer, out)
            await self._resume(session, out)
            return
        typed = self._keyword_typed(inp)
        if typed is not None:
            await self._keyword(session, typed, self.services.config.keywords[typed], out)
            return
        if session.active():
            refusal = self._refusal(inp)
            if refusal is not None:
                out.say(refusal)
                flow = self.flows[session.flow]  # type: ignore[index]
                await flow.prompt(self._run(session, flow, out))
                return
            if LEAVING in session.data:
                await self._leaving(session, inp, out)
                return
            await self._continue(session, inp, out, slow)
            return
        if timed_out is not None:
            resume = getattr(timed_out, "resume_after_timeout", False)
            out.say(msg.session_expired_interview if resume else msg.session_expired)
        elif inp.kind == "postback":
            out.say(msg.stale_button)
        elif inp.kind == "other":
            out.say(msg.unsupported_message)
        else:
            out.say(msg.free_text_notice)
            for n in await self.parents.nurseries(session.user_id):
                out.say(msg.free_text_phone.format(nursery=n.name, phone=n.phone))
        self.menu(out)

    def _keyword_typed(self, inp: Input) -> str | None:
        """The keyword a text is (in any language; English in any letter case), or None."""
        return self.services.config.keyword(inp.text) if inp.kind == "text" else None

    def _switch_word(self, inp: Input) -> str | None:
        if inp.kind != "text":
            return None
        return self.services.base_config.switch_words().get(normalize.fold(inp.text).casefold())

    async def _switch(self, session: SessionDoc, picked: str, out: Outbox) -> None:
        """Answer in `picked` from now on; the flow in progress asks its question again."""
        await self.parents.choose_language(session.user_id, picked)
        session.language = picked
        with language.speaking(picked):
            out.say(self.services.msg.language_set)
            if session.active():
                await self._resume(session, out)
            else:
                self.menu(out)

    async def _keyword(self, session: SessionDoc, text: str, name: str, out: Outbox) -> None:
        """A menu keyword: start its flow, unless the flow in progress asks first whether to
        drop its answers; the website link leaves the flow in progress as it was."""
        flow = self.flows.get(session.flow or "") if session.active() else None
        if name == "website":
            self.website(out)
            if flow is not None:
                session.data.pop(LEAVING, None)
                await flow.prompt(self._run(session, flow, out))
            return
        if flow is not None:
            run = self._run(session, flow, out)
            question = flow.leave_question(run, text)
            if question is not None:
                session.data = {**session.data, LEAVING: text}
                msg = self.services.msg
                out.say(question, Button(msg.label_yes), Button(msg.label_no))
                return
        _clear(session)
        await self.start(session, name, out)

    async def _leaving(self, session: SessionDoc, inp: Input, out: Outbox) -> None:
        """はい drops the answers and starts the keyword's flow; いいえ goes back to the
        question the user was on; anything else asks again."""
        msg, flow = self.services.msg, self.flows[session.flow]  # type: ignore[index]
        answer = normalize.fold(inp.text).casefold() if inp.kind == "text" else ""
        keyword = session.data[LEAVING]
        if answer == msg.label_yes.casefold():
            _clear(session)
            await self.start(session, self.services.config.keywords[keyword], out)
            return
        if answer == msg.label_no.casefold():
            session.data = {k: v for k, v in session.data.items() if k != LEAVING}
            out.say(flow.leave_declined())
            await flow.prompt(self._run(session, flow, out))
            return
        run = self._run(session, flow, out)
        question = flow.leave_question(run, keyword) or ""
        out.say(msg.choose_from_buttons)
        out.say(question, Button(msg.label_yes), Button(msg.label_no))

    async def _resume(self, session: SessionDoc, out: Outbox) -> None:
        """After an answer outside the flow in progress: the question it was on, again."""
        flow = self.flows.get(session.flow or "") if session.active() else None
        if flow is None or session.state not in flow.machine.states:
            return
        run = self._run(session, flow, out)
        if LEAVING in session.data:
            msg = self.services.msg
            question = flow.leave_question(run, session.data[LEAVING]) or ""
            out.say(question, Button(msg.label_yes), Button(msg.label_no))
            return
        await flow.prompt(run)
        await self._store(session, run, out)

    def _refusal(self, inp: Input) -> str | None:
        """Why typed text cannot be any flow's answer (too long, hidden characters), or None."""
        if inp.kind != "text":
            return None
        limit = self.services.config.limits.max_text_length
        if len(inp.text) > limit:
            return self.services.msg.text_too_long.format(max=limit)
        if normalize.unsafe(inp.text):
            return self.services.msg.invalid_characters
        return None

    async def start(self, session: SessionDoc, name: str, out: Outbox, **kwargs: Any) -> None:
        """Start flow `name` for this session (a keyword, or a hand-over from another flow)."""
        if name == "menu":
            self.menu(out)
            return
        if name == "website":
            self.website(out)
            return
        flow = self.flows[name]
        run = Run(session.user_id, flow, START, {}, out)
        await flow.begin(run, **kwargs)
        await self._store(session, run, out)

    async def _continue(self, session: SessionDoc, inp: Input, out: Outbox, slow: Slow) -> None:
        flow = self.flows.get(session.flow or "")
        if flow is None or session.state not in flow.machine.states:
            _clear(session)  # flow renamed or removed by a deploy: start afresh
            out.say(self.services.msg.session_expired)
            self.menu(out)
            return
        run = self._run(session, flow, out)
        before = run.state
        if before in flow.slow:
            await slow()
        await flow.handle(run, inp)
        log.debug("flow_step", flow=flow.name, source=before, dest=run.state)
        await self._store(session, run, out)

    def _run(self, session: SessionDoc, flow: Flow, out: Outbox) -> Run:
        return Run(session.user_id, flow, session.state or START, dict(session.data), out)

    async def _store(self, session: SessionDoc, run: Run, out: Outbox) -> None:
        """Keep the run's position, or end it and start the flow it handed over to."""
        if not run.ended:
            session.flow, session.state, session.data = run.flow.name, run.state, run.data
            return
        _clear(session)
        if run.next_flow is not None:
            name, kwargs = run.next_flow
            await self.start(session, name, out, **kwargs)

    def _expired(self, session: SessionDoc) -> bool:
        if session.updated_at is None:
            return False
        idle = dt.timedelta(minutes=self.services.config.limits.session_idle_minutes)
        updated = session.updated_at
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=dt.UTC)
        return self.services.now() - updated > idle

    def website(self, out: Outbox) -> None:
        url = self.services.config.website_url
        out.add(
            Text(
                self.services.msg.website.format(url=url),
                (Button(self.services.config.menu[-1], "uri", url),),
            )
        )

    def menu(self, out: Outbox) -> None:
        out.say(
            self.services.msg.menu_prompt, *(Button(label) for label in self.services.config.menu)
        )


def _once(callback: Callable[[], Awaitable[object]] | None) -> Slow:
    called = callback is None

    async def call() -> None:
        nonlocal called
        if not called:
            called = True
            await callback()  # type: ignore[misc]

    return call


def _clear(session: SessionDoc) -> None:
    session.flow = session.state = None
    session.data = {}


# -- reply (de)serialisation, for the session's stored answer to its last event -----------
# Written by hand rather than with dataclasses.asdict (a recursive deep copy, the slowest
# step of saving a session), and without the buttons' default fields, to keep sessions small.


def _button_to_dict(b: Button) -> dict[str, Any]:
    d: dict[str, Any] = {"label": b.label}
    if b.kind != "message":
        d["kind"] = b.kind
    if b.data:
        d["data"] = b.data
    for key in ("initial", "max", "min"):
        if getattr(b, key) is not None:
            d[key] = getattr(b, key)
    return d


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Text):
        return {
            "type": "text",
            "text": reply.text,
            "buttons": [_button_to_dict(b) for b in reply.buttons],
        }
    if isinstance(reply, Carousel):
        columns = [
            {"title": c.title, "text": c.text, "buttons": [_button_to_dict(b) for b in c.buttons]}
            for c in reply.columns
        ]
        return {"type": "carousel", "alt_text": reply.alt_text, "columns": columns}
    return {"type": "sticker", "package_id": reply.package_id, "sticker_id": reply.sticker_id}


def reply_from_dict(d: dict[str, Any]) -> Reply:
    d = dict(d)
    kind = d.pop("type")
    if kind == "text":
        return Text(d["text"], tuple(Button(**b) for b in d.get("buttons", ())))
    if kind == "carousel":
        cols = tuple(
            Column(c["title"], c["text"], tuple(Button(**b) for b in c.get("buttons", ())))
            for c in d["columns"]
        )
        return Carousel(d["alt_text"], cols)
    return Sticker(d["package_id"], d["sticker_id"])

"""A dialog flow: a `transitions` state machine declared once, shared by every user.

Each flow class lists its states and transitions. The machine is built once
per flow (per app), with no model of its own; each message gets a light `Run`
(the user's state and answers, loaded from the session document) that the
machine moves; condition names refer to methods of the flow, called with the
Run. Entering a state calls `prompt_<state>(run)`; a message in a state goes
to `on_<state>(run, inp)`, which validates it and fires a trigger, or re-asks
with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from transitions.extensions.asyncio import AsyncMachine

from flows.replies import Button, Outbox, Reply
from flows.services import Services

START = "start"
END = "end"


@dataclass(slots=True)
class Input:
    """One thing the user did: typed text, tapped a postback or date picker, followed..."""

    kind: Literal["text", "postback", "follow", "unfollow", "other"]
    text: str = ""
    data: str = ""
    date: str | None = None  # YYYY-MM-DD from a date picker


@dataclass
class Run:
    """The model the shared machine moves for one message of one user."""

    user_id: str
    flow: Flow
    state: str
    data: dict[str, Any]
    out: Outbox
    next_flow: tuple[str, dict[str, Any]] | None = None
    ended: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def s(self) -> Services:
        return self.flow.s

    async def fire(self, trigger: str, **kwargs: Any) -> bool:
        return await self.flow.machine.events[trigger].trigger(self, **kwargs)

    async def reask(self, reason: str) -> None:
        """Say why the answer cannot be used, then ask the same question again."""
        self.out.say(reason)
        await self.flow.prompt(self)

    def offer(self, buttons: list[Button] | tuple[Button, ...], values: list[str]) -> None:
        """Remember which choices were shown, so only those are accepted."""
        self.data["_offer"] = {b.label: v for b, v in zip(buttons, values, strict=True)}

    def chosen(self, inp: Input) -> str | None:
        """The value of a shown choice the user tapped or typed, or None."""
        offer: dict[str, str] = self.data.get("_offer", {})
        if inp.kind == "text":
            return offer.get(inp.text.strip())
        if inp.kind == "postback":
            return inp.data if inp.data in offer.values() else None
        return None

    async def choice(self, inp: Input) -> str | None:
        """The shown choice the user picked; None after asking again (choose from the buttons)."""
        value = self.chosen(inp)
        if value is None:
            await self.reask(self.s.msg.choose_from_buttons)
        return value

    def finish(self) -> None:
        self.ended = True

    def hand_over(self, flow: str, **kwargs: Any) -> None:
        """End this flow and start `flow` right after, in the same reply."""
        self.ended = True
        self.next_flow = (flow, kwargs)


class Flow:
    """Subclasses declare `name`, `states`, `transitions` and the prompt/on methods."""

    name: ClassVar[str]
    states: ClassVar[list[str]]
    transitions: ClassVar[list[dict[str, Any]]]
    final: ClassVar[frozenset[str]] = frozenset({END})
    # States whose answer takes noticeably long (the calendar, a confirmation): the LINE side
    # starts its loading animation before handling an input in one of them.
    slow: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, services: Services) -> None:
        self.s = services
        self.machine = AsyncMachine(
            model=None,
            states=[START, *self.states, END],
            transitions=self.transitions,
            initial=START,
            send_event=True,
            auto_transitions=False,
            after_state_change=[self._entered],
        )
        for t in self.transitions:
            for key in ("conditions", "unless"):
                for cond in _as_list(t.get(key)):
                    if isinstance(cond, str) and not hasattr(self, cond):
                        raise TypeError(f"{self.name}: condition {cond} is not defined")
        self.machine.resolve_callable = self._resolve  # type: ignore[method-assign]

    def _resolve(self, func: Any, event_data: Any) -> Any:
        """Condition and callback names refer to methods of the flow, called with the Run."""
        if isinstance(func, str):
            method = getattr(self, func)
            return lambda ev: method(ev.model, **ev.kwargs)
        return func

    async def _entered(self, ev: Any) -> None:
        run: Run = ev.model
        self.s.observe(self.name, ev.transition.source, ev.event.name, ev.transition.dest)
        if run.state in self.final:
            run.finish()
        await self.prompt(run)

    async def prompt(self, run: Run) -> None:
        ask = getattr(self, f"prompt_{run.state}", None)
        if ask is not None:
            await ask(run)

    async def begin(self, run: Run, **kwargs: Any) -> None:
        """Start the flow: fires `begin` from the start state."""
        await run.fire("begin", **kwargs)

    async def handle(self, run: Run, inp: Input) -> None:
        on = getattr(self, f"on_{run.state}", None)
        if on is None:
            run.finish()
            return
        await on(run, inp)

    # For `python -m bot diagram` and replay coverage.
    def edges(self) -> list[tuple[str, str, str]]:
        out = []
        for t in self.transitions:
            for src in _as_list(t["source"]):
                out.append((src, t["trigger"], t["dest"]))
        return out


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, list | tuple) else [v]


Replies = list[Reply]

"""A dialog flow: a `transitions` state machine declared once, shared by every user.

Each flow class lists its states and transitions, and the table is the whole
truth: every way into and out of a state is a declared transition, endings and
hand-overs too. A flow ends when it enters `end` or a hand-over state `to_<flow>`
(which starts <flow> right after, in the same reply). The machine is built once
per flow (per app), with no model of its own; each message gets a light `Run`
(the user's state and answers, loaded from the session document) that the
machine moves. Condition names refer to methods of the flow, called with the
Run; they only decide (no message, no state). Entering a state calls
`prompt_<state>(run)`; a message in a state goes to `on_<state>(run, inp)`, which
validates it and fires a trigger, or re-asks with a reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar, cast

from transitions.extensions.asyncio import AsyncMachine

from domain import normalize
from domain.replies import Button, Outbox, Reply
from domain.services import Services

T = TypeVar("T")

START = "start"
END = "end"
HANDOVER = "to_"  # a final state `to_<flow>` hands the user over to <flow>


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
    def services(self) -> Services:
        return self.flow.services

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
        """The value of a shown choice the user tapped or typed, or None. Typed text matches a
        label as a person would read it: full-width digits and letters as half-width, capitals
        as small letters (`yes` for `Yes`)."""
        offer: dict[str, str] = self.data.get("_offer", {})
        if inp.kind == "text":
            text = inp.text.strip()
            if text in offer:
                return offer[text]
            folded = {normalize.fold(label).casefold(): value for label, value in offer.items()}
            return folded.get(normalize.fold(text).casefold())
        if inp.kind == "postback":
            return inp.data if inp.data in offer.values() else None
        return None

    async def choice(self, inp: Input) -> str | None:
        """The shown choice the user picked; None after asking again (choose from the buttons)."""
        value = self.chosen(inp)
        if value is None:
            await self.reask(self.services.msg.choose_from_buttons)
        return value

    async def memo(self, key: str, read: Callable[[], Awaitable[T]]) -> T:
        """`read()` once per message: conditions and prompts share what they look up."""
        if key not in self.extra:
            self.extra[key] = await read()
        return cast(T, self.extra[key])


class FlowMachine(AsyncMachine):
    """transitions' AsyncMachine for dialogs, tuned through the overrides its maintainers
    point to for customising how it runs coroutines (pytransitions/transitions#420).

    One user's messages are handled one at a time (the dispatcher's lease), so:
    - `callbacks` and `await_all` await callbacks and conditions in order instead of
      gathering them as concurrent tasks; upstream this waits for a non-gather mode
      (pytransitions/transitions#717, open);
    - `process_context` and `cancel_running_transitions` do no task bookkeeping: no
      transition of a run can be running when another starts, so there is nothing to
      cancel (upstream's cancellation of running transitions: #474; how it should treat
      `CancelledError`, #713, open).
    Conditions are the flow's methods, bound when the machine is built (`Flow._bound`), so
    names never need resolving at run time.
    """

    async def callbacks(self, funcs: Any, event_data: Any) -> None:  # type: ignore[override]
        for func in funcs:
            await self.callback(func, event_data)

    @staticmethod
    async def await_all(callables: Any) -> list[Any]:
        return [await func() for func in callables]

    async def process_context(self, func: Any, model: Any) -> Any:
        return await func()

    async def cancel_running_transitions(self, model: Any, msg: Any = None) -> None:
        return None


class Flow:
    """Subclasses declare `name`, `states`, `transitions` and the prompt/on methods."""

    name: ClassVar[str]
    states: ClassVar[list[str]]
    transitions: ClassVar[list[dict[str, Any]]]
    passing: ClassVar[frozenset[str]] = frozenset()  # states whose prompt moves on by itself
    # States whose answer takes noticeably long (the calendar, a confirmation): the LINE side
    # starts its loading animation before handling an input in one of them.
    slow: ClassVar[frozenset[str]] = frozenset()
    # The session timed out in this flow and `面談予約の再開` picks it up (the timeout says so).
    resume_after_timeout: ClassVar[bool] = False

    def __init__(self, services: Services) -> None:
        self.services = services
        states = [START, *self.states, END]
        self.final = frozenset({END, *(s for s in states if s.startswith(HANDOVER))})
        self.machine = FlowMachine(
            model=None,
            states=states,
            transitions=[self._bound(t) for t in self.transitions],
            initial=START,
            send_event=True,
            auto_transitions=False,
            after_state_change=[self._entered],
        )
        self._check(states)

    def _bound(self, transition: dict[str, Any]) -> dict[str, Any]:
        """The transition with its conditions and callbacks as callables: the flow's method
        of that name, called with the Run the machine moves (a callable is used as given)."""
        out = dict(transition)
        for key in ("conditions", "unless", "prepare", "before", "after"):
            if key in out:
                out[key] = [self._method(name, key) for name in _as_list(out[key])]
        return out

    def _method(self, name: str, role: str) -> Callable[[Any], Any]:
        method = getattr(self, name, None)
        if method is None:
            what = "condition" if role in ("conditions", "unless") else "callback"
            raise TypeError(f"{self.name}: {what} {name} is not defined")
        return lambda ev: method(ev.model, **ev.kwargs)

    def _check(self, states: list[str]) -> None:
        """The table is complete: named conditions exist, every state is reached and left
        (or is final), and every state that waits for the user has its `on_` handler."""
        reached, left = {START}, set()
        for t in self.transitions:
            for key in ("conditions", "unless"):
                for cond in _as_list(t.get(key)):
                    if isinstance(cond, str) and not hasattr(self, cond):
                        raise TypeError(f"{self.name}: condition {cond} is not defined")
            reached.add(t["dest"])
            left.update(_as_list(t["source"]))
        for state in states:
            if state not in reached and state != END:
                raise TypeError(f"{self.name}: no transition enters {state}")
            if state not in self.final and state not in left:
                raise TypeError(f"{self.name}: no transition leaves {state}")
            waits = state not in self.final and state != START
            if waits and self.handler(state) is None and state not in self.passing:
                raise TypeError(f"{self.name}: {state} has no on_{state} handler")

    async def _entered(self, ev: Any) -> None:
        run: Run = ev.model
        self.services.observe(self.name, ev.transition.source, ev.event.name, ev.transition.dest)
        if run.state in self.final:
            run.ended = True
            if run.state.startswith(HANDOVER):
                run.next_flow = (run.state.removeprefix(HANDOVER), dict(ev.kwargs))
        await self.prompt(run)

    def leave_question(self, run: Run, keyword: str) -> str | None:
        """What to ask before a menu keyword leaves this flow (dropping its answers); None
        leaves at once."""
        return None

    def leave_declined(self) -> str:
        """Said when the user chose to stay, before the question they were on is asked again."""
        return ""

    def handler(self, state: str) -> Callable[[Run, Input], Awaitable[None]] | None:
        """What handles a message in `state`: `on_<state>` unless a flow says otherwise."""
        return getattr(self, f"on_{state}", None)

    def asker(self, state: str) -> Callable[[Run], Awaitable[None]] | None:
        """What asks on entering `state`: `prompt_<state>` unless a flow says otherwise."""
        return getattr(self, f"prompt_{state}", None)

    async def prompt(self, run: Run) -> None:
        ask = self.asker(run.state)
        if ask is not None:
            await ask(run)

    async def begin(self, run: Run, **kwargs: Any) -> None:
        """Start the flow: fires `begin` from the start state."""
        await run.fire("begin", **kwargs)

    async def handle(self, run: Run, inp: Input) -> None:
        on = self.handler(run.state)
        assert on is not None, f"{self.name}: {run.state} takes no messages"
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

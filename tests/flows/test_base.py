"""flows/base.py: the transition table is checked when a flow is built, hand-over states start
the next flow, and FlowMachine runs callbacks in order."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from domain.services import Services
from flows.base import Flow, FlowMachine, Input, Run
from flows.engine import Dialog
from tests.flows.conftest import texts


def _flow(transitions: list[dict[str, Any]], states: list[str], **methods: Any) -> type[Flow]:
    return type(
        "T",
        (Flow,),
        {"name": "t", "states": states, "transitions": transitions, **methods},
    )


async def _on(self: Flow, run: Run, inp: Input) -> None:
    await run.fire("next")


def test_a_state_nothing_leaves_is_refused(services: Services) -> None:
    cls = _flow([{"trigger": "begin", "source": "start", "dest": "a"}], ["a"], on_a=_on)
    with pytest.raises(TypeError, match="no transition leaves a"):
        cls(services)


def test_a_state_nothing_enters_is_refused(services: Services) -> None:
    cls = _flow(
        [
            {"trigger": "begin", "source": "start", "dest": "end"},
            {"trigger": "next", "source": "a", "dest": "end"},
        ],
        ["a"],
        on_a=_on,
    )
    with pytest.raises(TypeError, match="no transition enters a"):
        cls(services)


def test_a_waiting_state_without_a_handler_is_refused(services: Services) -> None:
    cls = _flow(
        [
            {"trigger": "begin", "source": "start", "dest": "a"},
            {"trigger": "next", "source": "a", "dest": "end"},
        ],
        ["a"],
    )
    with pytest.raises(TypeError, match="a has no on_a handler"):
        cls(services)


def test_an_unknown_condition_is_refused(services: Services) -> None:
    cls = _flow([{"trigger": "begin", "source": "start", "dest": "end", "conditions": "nope"}], [])
    with pytest.raises(TypeError, match="condition nope is not defined"):
        cls(services)


def test_the_machine_is_the_flows_own_subclass(services: Services) -> None:
    cls = _flow([{"trigger": "begin", "source": "start", "dest": "end"}], [])
    assert isinstance(cls(services).machine, FlowMachine)


async def test_callbacks_run_in_the_declared_order(services: Services) -> None:
    order: list[str] = []

    def first(self: Flow, run: Run) -> None:
        order.append("first")

    async def second(self: Flow, run: Run) -> None:
        order.append("second")

    cls = _flow(
        [{"trigger": "begin", "source": "start", "dest": "end", "after": ["first", "second"]}],
        [],
        first=first,
        second=second,
    )
    flow = cls(services)
    from domain.replies import Outbox

    run = Run("U1", flow, "start", {}, Outbox())
    await flow.begin(run)
    assert order == ["first", "second"] and run.ended


class _Hands(Flow):
    name = "registration"
    states: ClassVar[list[str]] = ["to_interview"]
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": "start", "dest": "to_interview"},
    ]

    async def prompt_to_interview(self, run: Run) -> None:
        run.out.say("handing over")


async def test_a_hand_over_state_starts_the_named_flow_in_the_same_reply(
    services: Services,
) -> None:
    from flows.interview import InterviewFlow

    dialog = Dialog(services, [_Hands, InterviewFlow], services.repos.sessions)
    out = await dialog.handle("U1", Input("text", "児童の登録"), "e1")
    said = texts(out.replies)
    assert said[0] == "handing over"
    assert said[1] == services.msg.interview_nothing_no_registration  # the interview flow's answer
    assert out.flow is None  # both ended: the interview flow handed over to the menu


def test_every_override_of_the_machine_still_overrides_something_upstream() -> None:
    """FlowMachine replaces four AsyncMachine methods (its docstring names the upstream issues
    they wait for); a release renaming one would leave the override silently unused."""
    import inspect

    from transitions.extensions.asyncio import AsyncMachine

    from flows.base import FlowMachine

    ours = {n for n, v in vars(FlowMachine).items() if callable(v) or isinstance(v, staticmethod)}
    assert ours == {"callbacks", "await_all", "process_context", "cancel_running_transitions"}
    for name in ours:
        upstream = inspect.signature(getattr(AsyncMachine, name))
        mine = inspect.signature(getattr(FlowMachine, name))
        assert list(upstream.parameters) == list(mine.parameters), name

"""A small flow for testing the base: collects numbers, re-asks anything else."""

from __future__ import annotations

from typing import ClassVar

from flows.base import Flow, Input, Run


class EchoFlow(Flow):
    name = "registration"  # reached by the 児童の登録 keyword in the real config
    states: ClassVar[list[str]] = ["collect"]
    transitions: ClassVar[list[dict]] = [
        {"trigger": "begin", "source": "start", "dest": "collect"},
        {"trigger": "got", "source": "collect", "dest": "collect", "conditions": "not_full"},
        {"trigger": "got", "source": "collect", "dest": "end"},
    ]

    def not_full(self, run: Run, **_: object) -> bool:
        return len(run.data.get("got", [])) < 50

    async def prompt_collect(self, run: Run) -> None:
        run.out.say(f"send a number (have {len(run.data.get('got', []))})")

    async def on_collect(self, run: Run, inp: Input) -> None:
        if inp.kind != "text" or not inp.text.strip().isdigit():
            await run.reask("numbers only")
            return
        run.data.setdefault("got", []).append(int(inp.text))
        run.out.say(f"got {inp.text}")
        await run.fire("got")

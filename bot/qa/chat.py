"""`python -m bot chat`: the real flows in a terminal, as one LINE user.

Replies are printed; buttons are numbered and a number taps one. It runs on
the store the environment configures (in memory without MONGODB_URI).
"""

from __future__ import annotations

import asyncio
import sys

from bot.context import Settings
from bot.qa.harness import Harness
from bot.qa.screen import ScreenButton, buttons, describe
from storage.mongo import connect


async def _input(prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(input, prompt)
    except EOFError:
        return None


async def run_console(user: str, record: str | None = None) -> int:
    settings = Settings.from_env()
    recorder = None
    if record:
        from bot.qa.replay.record import Recorder

        recorder = Recorder()
    async with Harness(store=connect(settings.mongodb_uri)) as h:
        assert h.bot is not None
        print(
            f"(chatting on the {h.bot.store.kind} store as {user}; type a number to tap a "
            "button; Ctrl-D ends)"
        )
        on_screen: list[ScreenButton] = []
        sent = await h.send(user, h.follow(user))
        if recorder:
            recorder.step({"follow": None}, sent)
        on_screen = _show(sent) or on_screen
        while True:
            line = await _input("> ")
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            step: dict[str, object]
            if line.isdigit() and 1 <= int(line) <= len(on_screen):
                b = on_screen[int(line) - 1]
                event, step = await _tap(h, user, b)
                if event is None:
                    continue
            else:
                event, step = h.text(user, line), {"say": line}
            sent = await h.send(user, event)
            if recorder:
                recorder.step(step, sent)
            on_screen = _show(sent) or on_screen
    if recorder and record:
        recorder.save(record)
        print(f"saved {record}", file=sys.stderr)
    return 0


async def _tap(h: Harness, user: str, b: ScreenButton):  # type: ignore[no-untyped-def]
    a = b.action
    tap = {"tap": {"label": b.label, "in": b.context}}  # the recorder tells apart equal labels
    if a.get("type") == "message":
        return h.text(user, a["text"]), tap
    if a.get("type") == "postback":
        return h.postback(user, a["data"]), tap
    if a.get("type") == "datetimepicker":
        date = await _input("date (YYYY-MM-DD): ")
        if not date:
            return None, {}
        return h.postback(user, a["data"], date.strip()), {"pick_date": date.strip()}
    print(a.get("uri", ""))
    return None, {}


def _show(sent) -> list[ScreenButton]:  # type: ignore[no-untyped-def]
    shown: list[ScreenButton] = []
    for s in sent:
        for line in describe(s.messages):
            if line.startswith("[") and line.endswith("]"):
                continue
            print(("[push] " if s.via == "push" else "") + line)
        shown.extend(buttons(s.messages))
    for i, b in enumerate(shown, 1):
        print(f"  {i}. {b.label}")
    return shown

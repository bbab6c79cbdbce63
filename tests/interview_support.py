"""Shared by the registration/interview/admin/CLI tests: registrations and slots made quickly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from qa.harness import Harness
from qa.screen import buttons, texts
from storage.clock import TOKYO
from storage.registrations import RegistrationDoc


def at(text: str) -> dt.datetime:
    """`2024-04-23T10:00` in Tokyo time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TOKYO)


async def registration(
    bot: Any,
    user: str,
    nursery: str = "futaba",
    child: str = "目黒 太郎",
    born: str = "2022-05-01",
    parent: str = "目黒 花子",
    kana: str = "メグロ タロウ",
    phone: str = "0312345678",
) -> RegistrationDoc:
    """A registration stored as the registration flow stores it."""
    doc = RegistrationDoc(
        _id=bot.services.ids.new(),
        user=user,
        nursery=nursery,
        parent_name=parent,
        postal_code="1530061",
        address="東京都目黒区中目黒1-1-1",
        phone=phone,
        child_name=child,
        child_kana=kana,
        birth_date=born,
        sex="male",
        created_at=bot.services.now(),
    )
    assert await bot.repos.registrations.add(doc, bot.services.today())
    return doc


async def register_by_chat(
    h: Harness, user: str, nursery: str = "双葉の園保育園", child: str = "目黒 太郎"
) -> list[str]:
    """The ten answers of 児童の登録 typed by `user`; returns what the last reply said."""
    answers = [
        "児童の登録",
        nursery,
        "目黒 花子",
        "153-0061",
        "東京都目黒区中目黒1-1-1",
        "03-1234-5678",
        child,
        "メグロ タロウ",
        "2022-05-01",
        "男",
        "はい",
    ]
    sent = []
    for text in answers:
        sent = await h.say(user, text)
    return screen(sent)


def screen(sent: list[Any]) -> list[str]:
    """Texts, then `[label]` for each button, of what a user received."""
    out: list[str] = []
    for s in sent:
        out.extend(texts(s.messages))
        out.extend(f"[{b.label}]" for b in buttons(s.messages))
    return out


def lose_next_session_save(monkeypatch: Any, sessions: Any) -> list[bool]:
    """The next save of a session loses to another process (the engine handles the event
    again); the list is emptied once that happened."""
    save = sessions.save
    conflicts = [True]

    async def conflict_once(session: Any) -> bool:
        if conflicts and conflicts.pop():
            return False  # another process wrote the session meanwhile: the engine re-runs
        return bool(await save(session))

    monkeypatch.setattr(sessions, "save", conflict_once)
    return conflicts

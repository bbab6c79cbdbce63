"""flows/interview.py through the dialog engine: conditions decide, states say why."""

from __future__ import annotations

import datetime as dt

from domain.services import Services
from flows.base import Input
from flows.engine import Dialog
from storage.clock import TOKYO
from tests.flows.conftest import labels, texts
from tests.interview_support import registration


class _Bot:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.repos = services.repos


async def test_no_open_slot_says_so_with_the_nurserys_phone_and_ends(
    dialog: Dialog, services: Services
) -> None:
    await registration(_Bot(services), "U1")
    out = await dialog.handle("U1", Input("text", "面談予約の再開"), "e1")
    assert labels(out.replies) == ["目黒 太郎/双葉の園保育園"]
    out = await dialog.handle("U1", Input("text", "目黒 太郎/双葉の園保育園"), "e2")
    futaba = services.config.nursery("futaba")
    assert texts(out.replies) == [
        services.msg.interview_no_slots.format(nursery=futaba.name, phone=futaba.phone)
    ]
    assert out.flow is None


async def test_with_a_slot_the_slot_is_offered(dialog: Dialog, services: Services) -> None:
    await registration(_Bot(services), "U1")
    at = dt.datetime(2024, 4, 23, 10, tzinfo=TOKYO)
    await services.repos.interviews.add("futaba", at, 1)
    await dialog.handle("U1", Input("text", "面談予約の再開"), "e1")
    out = await dialog.handle("U1", Input("text", "目黒 太郎/双葉の園保育園"), "e2")
    assert labels(out.replies) == ["4/23(火) 10:00"]
    assert (out.flow, out.state) == ("interview", "slot")

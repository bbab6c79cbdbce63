"""児童の登録: ten questions, one at a time, then the interview booking starts by itself.

The answers live in the session (`run.data`) only while the flow runs; `はい`
at the summary stores the registration, `いいえ` starts over. A second live
registration of the same child name at the same nursery by the same LINE user
is refused with the nursery's phone number.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from domain import labels, normalize
from domain.replies import Button
from flows.base import Flow, Input, Run
from storage.registrations import RegistrationDoc

# typed answers: state -> (normaliser, the Messages field saying why an answer was refused);
# each is asked with the Messages field `reg_ask_<state>`
TYPED: dict[str, tuple[Callable[[str], str | None], str]] = {
    "parent_name": (normalize.name, "invalid_name"),
    "postal_code": (normalize.postal_code, "invalid_postal_code"),
    "address": (normalize.address, "invalid_address"),
    "phone": (normalize.phone, "invalid_phone"),
    "child_name": (normalize.name, "invalid_name"),
    "child_kana": (normalize.kana, "invalid_kana"),
}
ORDER = ["nursery", *TYPED, "birth_date", "sex", "summary"]
ENDINGS = ["to_interview", "to_menu"]  # registered: book the interview; refused: the menu
DATE_PICKED = "birth_date"  # postback data of the date picker


class RegistrationFlow(Flow):
    name = "registration"
    states: ClassVar[list[str]] = [*ORDER, *ENDINGS]
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": "start", "dest": "nursery"},
        *({"trigger": "answered", "source": a, "dest": b} for a, b in itertools.pairwise(ORDER)),
        {"trigger": "start_over", "source": "summary", "dest": "nursery"},
        {"trigger": "registered", "source": "summary", "dest": "to_interview"},
        {"trigger": "refused", "source": "summary", "dest": "to_menu"},
    ]

    # -- questions -----------------------------------------------------------------------------
    async def prompt_nursery(self, run: Run) -> None:
        buttons = [Button(n.name) for n in self.s.config.nurseries]
        run.offer(buttons, [n.id for n in self.s.config.nurseries])
        run.out.say(self.s.msg.reg_ask_nursery, *buttons)

    def asker(self, state: str) -> Callable[[Run], Awaitable[None]] | None:
        return self._ask_typed if state in TYPED else super().asker(state)

    def handler(self, state: str) -> Callable[[Run, Input], Awaitable[None]] | None:
        return self._typed if state in TYPED else super().handler(state)

    async def _ask_typed(self, run: Run) -> None:
        run.out.say(getattr(self.s.msg, f"reg_ask_{run.state}"))

    async def prompt_birth_date(self, run: Run) -> None:
        today = self.s.today()
        oldest = normalize.years_before(today, self.s.config.child_max_age_years)
        picker = Button(
            self.s.msg.reg_pick_date_label,
            "date",
            DATE_PICKED,
            max=today.isoformat(),
            min=oldest.isoformat(),
        )
        run.data.pop("_offer", None)
        run.out.say(self.s.msg.reg_ask_birth_date, picker)

    async def prompt_sex(self, run: Run) -> None:
        m = self.s.msg
        buttons = [Button(m.label_male), Button(m.label_female)]
        run.offer(buttons, ["male", "female"])
        run.out.say(m.reg_ask_sex, *buttons)

    async def prompt_summary(self, run: Run) -> None:
        m, d = self.s.msg, run.data
        text = m.reg_summary.format(
            nursery=self.s.config.nursery(d["nursery"]).name,
            parent_name=d["parent_name"],
            postal_code=f"{d['postal_code'][:3]}-{d['postal_code'][3:]}",
            address=d["address"],
            phone=d["phone"],
            child_name=d["child_name"],
            child_kana=d["child_kana"],
            birth_date=labels.ymd(dt.date.fromisoformat(d["birth_date"])),
            sex=m.label_male if d["sex"] == "male" else m.label_female,
        )
        buttons = [Button(m.label_yes), Button(m.label_no)]
        run.offer(buttons, ["yes", "no"])
        run.out.say(text, *buttons)

    # -- answers -------------------------------------------------------------------------------

    async def _typed(self, run: Run, inp: Input) -> None:
        if not await self._is_text(run, inp):
            return
        parse, why = TYPED[run.state]
        value = parse(inp.text)
        if value is None:
            await run.reask(getattr(self.s.msg, why))
            return
        run.data[run.state] = value
        await run.fire("answered")

    async def _is_text(self, run: Run, inp: Input) -> bool:
        """Typed text goes on; anything else is re-asked with what went wrong."""
        if inp.kind == "text" and inp.text.strip():
            return True
        m = self.s.msg
        reason = {"text": m.invalid_empty, "postback": m.stale_button}.get(inp.kind)
        await run.reask(reason or m.unsupported_message)
        return False

    async def on_nursery(self, run: Run, inp: Input) -> None:
        await self._choice(run, inp, "nursery")

    async def on_sex(self, run: Run, inp: Input) -> None:
        await self._choice(run, inp, "sex")

    async def _choice(self, run: Run, inp: Input, key: str) -> None:
        value = await run.choice(inp)
        if value is None:
            return
        run.data[key] = value
        await run.fire("answered")

    async def on_birth_date(self, run: Run, inp: Input) -> None:
        m = self.s.msg
        if inp.kind == "postback" and inp.data == DATE_PICKED and inp.date:
            born = normalize.date(inp.date)
        elif await self._is_text(run, inp):
            born = normalize.date(inp.text)
        else:
            return
        today = self.s.today()
        if born is None:
            await run.reask(m.invalid_date)
        elif born > today:
            await run.reask(m.invalid_future_date)
        elif born < normalize.years_before(today, self.s.config.child_max_age_years):
            await run.reask(m.invalid_too_old)
        else:
            run.data["birth_date"] = born.isoformat()
            await run.fire("answered")

    async def on_summary(self, run: Run, inp: Input) -> None:
        answer = await run.choice(inp)
        if answer is None:
            return
        if answer == "no":
            run.data = {}
            run.out.say(self.s.msg.reg_restart)
            await run.fire("start_over")
        else:
            await self._register(run)

    async def _register(self, run: Run) -> None:
        d, m = run.data, self.s.msg
        nursery = self.s.config.nursery(d["nursery"])
        doc = RegistrationDoc(
            id=self.s.ids.new(),
            user=run.user_id,
            nursery=nursery.id,
            parent_name=d["parent_name"],
            postal_code=d["postal_code"],
            address=d["address"],
            phone=d["phone"],
            child_name=d["child_name"],
            child_kana=d["child_kana"],
            birth_date=d["birth_date"],
            sex=d["sex"],
            created_at=self.s.now(),
        )
        if not await self.s.repos.registrations.add(doc, self.s.today()):
            run.out.say(
                m.reg_duplicate.format(
                    child_name=doc.child_name, nursery=nursery.name, phone=nursery.phone
                )
            )
            await run.fire("refused")
            return
        run.out.say(m.reg_done)
        await run.fire("registered")

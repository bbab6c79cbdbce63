"""児童の登録: ten questions, one at a time, then the interview booking starts by itself.

The answers live in the session (`run.data`) only while the flow runs; `はい`
at the summary stores the registration, `いいえ` starts over. A child this LINE
user has registered at the nursery already is recognised as soon as its name is
given: the parent is told where that registration stands (`面談予約の再開` when its
interview is still to be booked) rather than asked the rest. A menu keyword typed
once answers were given first asks whether to drop them (`leave_question`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from domain import labels, normalize
from domain.lifecycle import Life
from domain.registrations import Answers, Registrations
from domain.replies import Button
from domain.services import Services
from flows.base import Flow, Input, Run


@dataclass(frozen=True)
class Typed:
    """A typed answer: its normaliser and the Messages field saying why one was refused;
    its longest length and the Messages field saying so. Each is asked with the Messages
    field `registration_ask_<state>`."""

    parse: Callable[[str], str | None]
    why: str
    limit: int | None = None
    too_long: str = ""


NAME = Typed(normalize.name, "invalid_name", normalize.NAME_MAX, "invalid_name_length")
TYPED: dict[str, Typed] = {
    "parent_name": NAME,
    "postal_code": Typed(normalize.postal_code, "invalid_postal_code"),
    "address": Typed(
        normalize.address, "invalid_address", normalize.ADDRESS_MAX, "invalid_address_length"
    ),
    "phone": Typed(normalize.phone, "invalid_phone"),
    "child_name": NAME,
    "child_kana": Typed(normalize.kana, "invalid_kana", normalize.KANA_MAX, "invalid_kana_length"),
}
ORDER = ["nursery", *TYPED, "birth_date", "sex", "summary"]
ENDINGS = ["to_interview", "to_menu"]  # registered: book the interview; refused: the menu
DATE_PICKED = "birth_date"  # postback data of the date picker
# Where a registration the user already has at the nursery stands, by its state
# (domain/lifecycle.py): the Messages field that tells the parent.
KNOWN = {
    "registered": "registration_known_resume",
    "interview_lapsed": "registration_known_resume",
    "interview_booked": "registration_known_booked",
    "cleared": "registration_known_cleared",
}


class RegistrationFlow(Flow):
    name = "registration"
    states: ClassVar[list[str]] = [*ORDER, *ENDINGS]
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": "start", "dest": "nursery", "before": "tell_privacy"},
        *({"trigger": "answered", "source": a, "dest": b} for a, b in itertools.pairwise(ORDER)),
        {"trigger": "start_over", "source": "summary", "dest": "nursery"},
        {"trigger": "registered", "source": "summary", "dest": "to_interview"},
        {"trigger": "known", "source": "child_name", "dest": "to_menu"},
        {"trigger": "refused", "source": "summary", "dest": "to_menu"},
    ]

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.registrations = Registrations(services)

    def leave_question(self, run: Run, keyword: str) -> str | None:
        """Asked before a keyword drops the answers given so far (none given: no question)."""
        if any(not key.startswith("_") for key in run.data):
            return self.services.msg.registration_drop_answers.format(keyword=keyword)
        return None

    def leave_declined(self) -> str:
        return self.services.msg.registration_keep_answers

    # -- questions ---------------------------------------------------------------------------
    async def tell_privacy(self, run: Run) -> None:
        """What the personal data is used for, once, before the first question."""
        run.out.say(self.services.msg.registration_privacy)

    async def prompt_nursery(self, run: Run) -> None:
        buttons = [Button(n.name) for n in self.services.config.nurseries]
        run.offer(buttons, [n.id for n in self.services.config.nurseries])
        run.out.say(self.services.msg.registration_ask_nursery, *buttons)

    def asker(self, state: str) -> Callable[[Run], Awaitable[None]] | None:
        return self._ask_typed if state in TYPED else super().asker(state)

    def handler(self, state: str) -> Callable[[Run, Input], Awaitable[None]] | None:
        return self._typed if state in TYPED else super().handler(state)

    async def _ask_typed(self, run: Run) -> None:
        run.out.say(getattr(self.services.msg, f"registration_ask_{run.state}"))

    async def prompt_birth_date(self, run: Run) -> None:
        today = self.services.today()
        oldest = normalize.years_before(today, self.services.config.child_max_age_years)
        picker = Button(
            self.services.msg.registration_pick_date_label,
            "date",
            DATE_PICKED,
            max=today.isoformat(),
            min=oldest.isoformat(),
        )
        run.data.pop("_offer", None)
        run.out.say(self.services.msg.registration_ask_birth_date, picker)

    async def prompt_sex(self, run: Run) -> None:
        msg = self.services.msg
        buttons = [Button(msg.label_male), Button(msg.label_female)]
        run.offer(buttons, ["male", "female"])
        run.out.say(msg.registration_ask_sex, *buttons)

    async def prompt_summary(self, run: Run) -> None:
        msg, d = self.services.msg, run.data
        # the registration's id, chosen once: a confirmation handled twice stores it once
        d.setdefault("registration_id", self.services.ids.new())
        text = msg.registration_summary.format(
            nursery=self.services.config.nursery(d["nursery"]).name,
            parent_name=d["parent_name"],
            postal_code=labels.postal_code(d["postal_code"]),
            address=d["address"],
            phone=labels.phone(d["phone"]),
            child_name=d["child_name"],
            child_kana=d["child_kana"],
            birth_date=labels.ymd(
                dt.date.fromisoformat(d["birth_date"]), self.services.msg.formats
            ),
            sex=msg.label_male if d["sex"] == "male" else msg.label_female,
        )
        buttons = [Button(msg.label_yes), Button(msg.label_no)]
        run.offer(buttons, ["yes", "no"])
        run.out.say(text, *buttons)

    # -- answers -----------------------------------------------------------------------------
    async def _typed(self, run: Run, inp: Input) -> None:
        if not await self._is_text(run, inp):
            return
        typed = TYPED[run.state]
        if typed.limit is not None and normalize.too_long(inp.text, typed.limit):
            await run.reask(getattr(self.services.msg, typed.too_long).format(max=typed.limit))
            return
        value = typed.parse(inp.text)
        if value is None:
            await run.reask(getattr(self.services.msg, typed.why))
            return
        run.data[run.state] = value
        if run.state == "child_name" and await self._known(run, value):
            return
        await run.fire("answered")

    async def _is_text(self, run: Run, inp: Input) -> bool:
        """Typed text goes on; anything else is re-asked with what went wrong."""
        if inp.kind == "text" and inp.text.strip():
            return True
        msg = self.services.msg
        reason = {"text": msg.invalid_empty, "postback": msg.stale_button}.get(inp.kind)
        await run.reask(reason or msg.unsupported_message)
        return False

    async def _known(self, run: Run, child_name: str) -> bool:
        """Tell the parent, and end, when they registered this child here already."""
        life = await self.registrations.known(run.user_id, run.data["nursery"], child_name)
        if life is None:
            return False
        self._say_known(run, life)
        await run.fire("known")
        return True

    def _say_known(self, run: Run, life: Life) -> None:
        n = self.services.config.nursery(life.reg.nursery)
        text = getattr(self.services.msg, KNOWN[life.state])
        run.out.say(text.format(child_name=life.reg.child_name, nursery=n.name, phone=n.phone))

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
        msg = self.services.msg
        if inp.kind == "postback" and inp.data == DATE_PICKED and inp.date:
            born = normalize.date(inp.date)
        elif await self._is_text(run, inp):
            born = normalize.date(inp.text)
        else:
            return
        today = self.services.today()
        if born is None:
            await run.reask(msg.invalid_date)
        elif born > today:
            await run.reask(msg.invalid_future_date)
        elif born < normalize.years_before(today, self.services.config.child_max_age_years):
            await run.reask(msg.invalid_too_old)
        else:
            run.data["birth_date"] = born.isoformat()
            await run.fire("answered")

    async def on_summary(self, run: Run, inp: Input) -> None:
        answer = await run.choice(inp)
        if answer is None:
            return
        if answer == "no":
            run.data = {}
            run.out.say(self.services.msg.registration_restart)
            await run.fire("start_over")
        else:
            await self._register(run)

    async def _register(self, run: Run) -> None:
        """Store the registration; a child registered meanwhile (a second phone, a double
        tap) is refused by the store and the parent told where that one stands."""
        d, msg = run.data, self.services.msg
        answers = Answers(**{f.name: d[f.name] for f in fields(Answers)})
        stored, life = await self.registrations.register(
            run.user_id, answers, d.get("registration_id")
        )
        if stored:
            run.out.say(msg.registration_done)
            await run.fire("registered")
            return
        n = self.services.config.nursery(d["nursery"])
        if life is not None:
            self._say_known(run, life)
        else:
            run.out.say(
                msg.registration_duplicate.format(
                    child_name=d["child_name"], nursery=n.name, phone=n.phone
                )
            )
        await run.fire("refused")

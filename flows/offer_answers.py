"""Answers to a waiting-list offer (キャンセル待ち): the pushed offer's 予約する and 辞退する.

The offer is pushed whenever seats free (domain/offers.py), so its buttons are tapped
whatever the parent is doing: the engine hands their postbacks (`w|take|<offer>`,
`w|decline|<offer>`) here before any flow, as it does menu keywords, and the flow in
progress goes on afterwards. Whether the offer can still be taken is the domain's
(domain/waiting.py `take`, `decline`); this words each outcome. A taken offer is a normal
booking, told as one: the sticker, the completion message and the cancel deadline.
"""

from __future__ import annotations

from domain import labels
from domain.childcare import Childcare
from domain.offers import DECLINE, TAKE, parse_postback
from domain.replies import Outbox
from domain.services import Services
from domain.waiting import Answer, Waiting
from flows.base import Input
from flows.booking import say_booked


class OfferAnswers:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.waiting = Waiting(services)
        self.childcare = Childcare(services)

    @staticmethod
    def of(inp: Input) -> tuple[str, str] | None:
        """(action, offer) if `inp` is a tap on an offer's button, else None."""
        if inp.kind != "postback":
            return None
        parsed = parse_postback(inp.data)
        return parsed if parsed is not None and parsed[0] in (TAKE, DECLINE) else None

    async def answer(self, user: str, action: str, offer: str, out: Outbox) -> str:
        """Take or decline the offer and say what came of it; the outcome."""
        if action == TAKE:
            answer = await self.waiting.take(user, offer)
            self._taken(answer, out)
        else:
            answer = await self.waiting.decline(user, offer)
            self._declined(answer, out)
        return answer.outcome

    def _taken(self, a: Answer, out: Outbox) -> None:
        w, f = self.services.msg.waiting, a.fields
        if a.outcome in ("booked", "already") and a.booking is not None:
            b = a.booking
            nursery = self.services.config.nursery(b.nursery)
            band = {k: f[k] for k in ("nursery", "day", "start", "end")}
            if a.outcome == "booked":
                say_booked(self.services, out, nursery, b.day(), band)
                return
            deadline = self.childcare.deadline(nursery, b.day())
            cancel = labels.how_to_cancel(self.services.msg, nursery, deadline, self.services.now())
            out.say(w.offer_already_booked.format(cancel=cancel, **band))
            return
        text = {
            "limit": w.offer_limit,
            "same_day": w.offer_same_day,
            "not_cleared": w.offer_not_cleared,
        }.get(a.outcome, w.offer_gone)
        out.say(text.format(**f) if f else w.offer_gone)

    def _declined(self, a: Answer, out: Outbox) -> None:
        w = self.services.msg.waiting
        if a.outcome == "declined":
            out.say(w.declined.format(**a.fields))
        elif a.outcome == "already":
            out.say(w.offer_already_declined)
        else:
            out.say(w.offer_gone)

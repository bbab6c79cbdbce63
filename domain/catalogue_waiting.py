"""The message catalogue's キャンセル待ち part (config.yaml `messages.waiting`): what the
waiting list says to parents. Kept beside `domain/catalogue.py` so that module stays small;
`Messages.waiting` holds it (`services.msg.waiting.offer_push`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WaitingMessages(BaseModel):
    """`{name}` fields are filled in by domain/offers.py and domain/waiting.py (and flows)."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # as catalogue.Strict

    # pushed when freed seats are offered: {child_name} {nursery} {day} {start} {end} {until}
    offer_push: str
    label_take: str  # the offer's buttons (LINE: 20 characters at most)
    label_decline: str
    # pushed when the offer ran out unanswered and passed on: {child_name} {nursery} {day}
    # {start} {end} {until}
    offer_expired_push: str
    # answers to the offer's buttons (flows say them): {child_name} {nursery} {day} {start}
    # {end} {max}
    declined: str  # 辞退する: the entry ends, the seats go to the next in line
    offer_gone: str  # the offer is no longer open (answered, timed out, passed on)
    offer_limit: str  # 予約する, but the child holds its max days: passed on, still waiting
    offer_same_day: str  # 予約する, but the child holds that day already: passed on, ended
    offer_not_cleared: str  # 予約する, but the registration may no longer book that day
    # pushed when staff take the child off the line: {child_name} {nursery} {day} {start}
    # {end} {reason} {phone}
    removed_push: str
    # pushed when the nursery closes the day (臨時休園): same fields
    closed_push: str

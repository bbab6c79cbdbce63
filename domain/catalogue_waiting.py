"""The message catalogue's キャンセル待ち part (config.yaml `messages.waiting`): what the
waiting list says to parents. Kept beside `domain/catalogue.py` so that module stays small;
`Messages.waiting` holds it (`services.msg.waiting.offer_push`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WaitingMessages(BaseModel):
    """`{name}` fields are filled in by domain/offers.py and domain/waiting.py (and flows)."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # as catalogue.Strict

    # pushed when freed seats are offered: {child_name} {nursery} {day} {start} {end} {until}
    offer_title: str  # the offer card's heading
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

    # -- the parent's dialogs (flows/waiting.py, flows/offer_answers.py, flows/cancel.py) --
    # the booking's day list: a full day the child may wait for: {day}
    day_label: str
    day_now_bookable: str  # a day tapped as full has a free band now: booking goes on {day}
    # joining: {child_name} {nursery} {day}, the hours {start} {end}, {min} hours at least
    choose_start: str  # the day is full, what waiting means, the start hour
    choose_end: str
    no_end: str  # no band of {min} hours from that start within the hours it opens
    no_hours: str  # the nursery no longer opens that day (or its hours have begun)
    confirm: str  # the summary, then 「キャンセル待ちに登録しますか？」 ({answers}: the answers)
    joined: str  # what happens next: {place} in line, an offer held {minutes} minutes
    join_stopped: str  # いいえ
    join_already: str  # the child waits for that day already
    join_limit: str  # the child waits for {max} days already
    join_bookable: str  # a seat came free meanwhile: book it instead
    join_band: str  # the hours are no longer within the nursery's hours that day
    join_holds_day: str  # the child holds that day
    join_outside: str  # not between today and the booking horizon
    # answers to the offer's buttons answered before (a double tap)
    offer_already_booked: str  # {cancel}: booking_cancel_until or booking_cancel_by_phone
    offer_already_declined: str
    # 予約を取り消す: an entry in line ({child_name} {day} {start} {end}), and leaving it
    list_intro: str  # bookings and entries in line listed together
    list_suffix: str  # after the nursery's name
    list_text: str
    list_place: str  # waiting: {place} in line
    list_offered: str  # an offer is open: {until}
    label_leave: str
    leave_confirm: str  # {title} {text}
    left: str
    leave_kept: str
    leave_gone: str  # no longer in line (offered and booked, ended, left before)

"""The message catalogue's schema: every sentence the bot says to parents (`Messages`), what
the staff console says about a request (`ConsoleMessages`), and how the rules word a
refusal for staff (`StaffMessages`). The texts themselves are config.yaml's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A config section: unknown keys refused, nothing changed after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Messages(Strict):
    """Every sentence the bot says. `{name}` fields are filled in by the flows."""

    greeting: str
    menu_prompt: str
    free_text_notice: str
    website: str
    session_expired: str
    session_expired_interview: str  # the interview booking timed out: 面談予約の再開 goes on
    free_text_phone: str  # one of the parent's nurseries, after free_text_notice
    stale_button: str
    text_too_long: str
    invalid_characters: str  # a typed answer with a control character, line break or bidi mark
    unsupported_message: str
    error_retry: str
    choose_from_buttons: str
    shared_chat_notice: str  # in a group or room: use a one-to-one chat instead
    weekdays: str = Field(min_length=7, max_length=7)  # Monday first
    list_separator: str  # between items of a list in a sentence
    ages: str  # the children a nursery takes (its config `ages`)

    reg_ask_nursery: str
    reg_ask_parent_name: str
    reg_ask_postal_code: str
    reg_ask_address: str
    reg_ask_phone: str
    reg_ask_child_name: str
    reg_ask_child_kana: str
    reg_ask_birth_date: str
    reg_pick_date_label: str
    reg_ask_sex: str
    reg_summary: str
    reg_restart: str
    reg_done: str
    reg_duplicate: str
    reg_known_resume: str  # the child is registered here already, its interview not booked
    reg_known_booked: str
    reg_known_cleared: str
    reg_drop_answers: str  # a keyword typed during registration: drop what was answered?
    reg_keep_answers: str
    invalid_empty: str
    invalid_name: str
    invalid_name_length: str
    invalid_address_length: str
    invalid_kana_length: str
    invalid_postal_code: str
    invalid_address: str
    invalid_phone: str
    invalid_kana: str
    invalid_date: str
    invalid_future_date: str
    invalid_too_old: str

    iv_choose_child: str
    iv_choose_slot: str
    iv_no_slots: str
    iv_confirm: str
    iv_done: str  # {cancel}: bk_cancel_until, or bk_cancel_by_phone once that moment is past
    iv_cancelled_choice: str
    iv_slot_taken: str
    iv_nothing_no_registration: str
    iv_nothing_booked: str
    iv_nothing_cleared: str
    cleared_push: str

    bk_no_cleared: str
    bk_expired: str
    bk_choose_child: str
    bk_limit_reached: str
    bk_choose_day: str
    bk_no_days: str
    bk_day_label: str
    bk_choose_start: str
    bk_choose_end: str
    bk_no_end: str
    bk_too_short: str
    bk_until_expiry: str  # the day list stops at the registration's expiry
    bk_age_from: str  # the child is too young for days before {day}
    bk_age_until: str  # the child is past the nursery's classes after {day}
    bk_age_over: str  # the child is past the nursery's classes already
    bk_age_refused: str
    bk_summary: str
    bk_done: str  # {cancel}: bk_cancel_until, or bk_cancel_by_phone once that moment is past
    bk_cancel_until: str
    bk_cancel_by_phone: str
    bk_same_day: str
    bk_filled: str
    bk_stopped: str
    bk_change_not_possible: str

    cx_none: str
    cx_list_intro: str
    cx_interview_suffix: str
    cx_interview_text: str
    cx_childcare_text: str
    cx_call_nursery: str
    cx_phone_suffix: str  # after the nursery's name: a booking staff took by phone
    cx_phone_booking: str  # cancelled by phone only
    cx_confirm: str
    cx_done: str
    cx_kept: str
    cx_already_gone: str
    cx_staff_push: str
    iv_staff_cancel_push: str

    reminder_childcare: str
    reminder_interview: str

    label_yes: str
    label_no: str
    label_confirm: str
    label_stop: str
    label_cancel: str
    label_male: str
    label_female: str


class ConsoleMessages(Strict):
    """What the staff web console says about a request (page labels are in its templates)."""

    login_failed: str
    login_locked: str
    login_disabled: str
    logged_out: str
    session_expired: str
    csrf_failed: str
    forbidden: str
    not_found: str
    stale: str
    missing: str
    bad_date: str
    bad_time: str
    bad_number: str
    past_date: str
    range_order: str
    range_too_long: str
    hours_order: str
    outside_hours: str
    below_booked: str
    slot_past: str
    slot_held: str
    slot_gone: str
    already_cleared: str
    already_cancelled: str
    refused: str
    seats_set: str
    day_closed: str
    day_opened: str
    slot_added: str
    slot_removed: str
    cleared: str
    phone_booked: str
    booking_cancelled: str
    push_sent: str
    push_blocked: str
    push_failed: str
    push_phone_booking: str
    parent_phone: str  # added to the three above when staff must phone the parent
    fields: dict[str, str]  # form field -> its name in messages


class StaffMessages(Strict):
    """What staff read when the rules refuse an operation (admin API, CLI, console, replays)."""

    clear_year_ended: str
    clear_refused: str
    remove_refused: str
    child_unknown: str
    child_ambiguous: str
    child_not_cleared: str
    unregistered_needs: str
    child_holds_day: str
    child_limit: str
    child_expiry: str
    child_age: str
    no_seat: str

"""The message catalogue's schema: every sentence the bot says to parents (`Messages`), what
the staff console says about a request (`ConsoleMessages`), and how the rules word a
refusal for staff (`StaffMessages`). The texts themselves are config.yaml's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from domain.catalogue_formats import Formats
from domain.catalogue_waiting import WaitingMessages
from domain.catalogue_waiting_staff import ConsoleWaitingMessages, StaffWaitingMessages


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
    formats: Formats  # dates and times (domain/catalogue_formats.py)
    language_set: str  # said, in the new language, when the parent switches language
    list_separator: str  # between items of a list in a sentence
    answer_line: str  # a nursery question's answer in a summary: {label} {answer}
    ages: str  # the children a nursery takes (its config `ages`)

    registration_privacy: str  # said as registration starts (the manual's promise)
    registration_ask_nursery: str
    registration_ask_parent_name: str
    registration_ask_postal_code: str
    registration_ask_address: str
    registration_ask_phone: str
    registration_ask_child_name: str
    registration_ask_child_kana: str
    registration_ask_birth_date: str
    registration_pick_date_label: str
    registration_ask_sex: str
    registration_summary: str
    registration_restart: str
    registration_done: str
    registration_duplicate: str
    registration_known_resume: str  # the child is registered here already, its interview not booked
    registration_known_booked: str
    registration_known_cleared: str
    registration_drop_answers: str  # a keyword typed during registration: drop what was answered?
    registration_keep_answers: str
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

    interview_choose_child: str
    interview_choose_slot: str
    interview_no_slots: str
    interview_confirm: str
    interview_done: (
        str  # {cancel}: booking_cancel_until, or booking_cancel_by_phone once that moment is past
    )
    interview_cancelled_choice: str
    interview_slot_taken: str
    interview_nothing_no_registration: str
    interview_nothing_booked: str
    interview_nothing_past: str  # the interview's time has passed, not yet recorded
    interview_nothing_cleared: str
    cleared_push: str

    booking_no_cleared: str
    booking_expired: str
    booking_choose_child: str
    booking_limit_reached: str
    booking_choose_day: str
    booking_no_days: str
    booking_day_label: str
    booking_choose_start: str
    booking_choose_end: str
    booking_no_end: str
    booking_too_short: str
    booking_until_expiry: str  # the day list stops at the registration's expiry
    booking_age_from: str  # the child is too young for days before {day}
    booking_age_until: str  # the child is past the nursery's classes after {day}
    booking_age_over: str  # the child is past the nursery's classes already
    booking_age_refused: str
    booking_summary: str
    booking_done: (
        str  # {cancel}: booking_cancel_until, or booking_cancel_by_phone once that moment is past
    )
    booking_cancel_until: str
    booking_cancel_by_phone: str
    booking_same_day: str
    booking_filled: str
    booking_started: str  # the chosen start time passed while the parent was confirming
    booking_stopped: str
    booking_change_not_possible: str

    cancel_none: str
    cancel_list_intro: str
    cancel_interview_suffix: str
    cancel_interview_text: str
    cancel_childcare_text: str
    cancel_call_nursery: str
    cancel_phone_suffix: str  # after the nursery's name: a booking staff took by phone
    cancel_phone_booking: str  # cancelled by phone only
    cancel_confirm: str
    cancel_done: str
    cancel_interview_done: str  # an interview cancelled: how to book another
    cancel_kept: str
    cancel_already_gone: str
    cancel_staff_push: str
    interview_staff_cancel_push: str
    interview_moved_push: str
    interview_missed_push: str
    registration_removed_push: str
    removed_interview_line: str
    removed_booking_line: str
    staff_reason_line: str
    contact_corrected_push: str
    contact_fields: dict[str, str]  # a contact detail -> its name in contact_corrected_push
    day_closed_push: str

    reminder_childcare: str
    reminder_interview: str

    label_yes: str
    label_no: str
    label_confirm: str
    label_stop: str
    label_cancel: str
    label_male: str
    label_female: str

    waiting: WaitingMessages  # キャンセル待ち (domain/catalogue_waiting.py)


class ConsoleMessages(Strict):
    """What the staff web console says about a request (page labels are in its templates)."""

    login_failed: str
    login_disabled: str
    logged_out: str
    logged_out_everywhere: str
    session_expired: str
    session_ended: str  # the session's absolute lifetime is over
    store_unavailable: str  # MongoDB cannot be reached: every console page says so
    csrf_failed: str
    forbidden: str
    not_found: str
    stale: str
    missing: str
    bad_date: str
    date_outside: str  # a date outside the staff's window (staff.max_days_back, _ahead)
    bad_time: str
    bad_number: str
    past_date: str
    range_order: str
    range_too_long: str
    hours_order: str
    outside_hours: str
    slot_gone: str
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
    change_done: str  # a registration's change (staff.actions) was made
    close_call: str  # a parent to phone after 臨時休園
    change_unknown: str
    confirm_title: str  # an action's confirmation page (staff.actions names the action)
    confirm_complete: str
    confirm_complete_button: str
    confirm_cancel: str
    confirm_cancel_button: str
    confirm_push: str  # the parent will be told on LINE
    confirm_call: str  # staff will phone the parent
    phoned: str  # a call to a parent was made
    login_rules: str  # accounts (city staff)
    login_taken: str
    account_unknown: str  # {login}
    scope_unknown: str
    account_self: str
    account_disabled: str
    account_enabled: str
    account_unlocked: str
    account_logged_out: str
    address_unlocked: str
    confirm_reset: str
    reset_button: str
    confirm_disable: str
    disable_button: str
    password_must_change: str  # one's own password
    password_wrong: str
    password_short: str
    password_mismatch: str
    password_same: str
    password_changed: str
    fields: dict[str, str]  # form field -> its name in messages
    waiting: ConsoleWaitingMessages  # キャンセル待ち (domain/catalogue_waiting_staff.py)


class StaffMessages(Strict):
    """What staff read when the rules refuse an operation (admin API, CLI, console, replays)."""

    clear_year_ended: str
    clear_refused: str
    remove_refused: str
    child_unknown: str
    child_ambiguous: str
    child_choice: str  # one registration in child_ambiguous's {which}
    list_separator: str
    booking_band: str  # a booking as staff lists read it
    child_not_cleared: str
    unregistered_needs: str
    child_holds_day: str
    child_limit: str
    child_expiry: str
    child_age: str
    no_seat: str
    state_refused: str
    state_changed: str
    slot_unknown: str
    slot_same: str
    slot_past: str
    slot_full: str
    missed_too_early: str
    contact_unchanged: str
    field_refused: str
    close_busy: str
    nursery_unknown: str
    moment_unreadable: str
    date_unreadable: str
    hour_unreadable: str
    number_range: str
    date_too_far: str
    date_past: str
    date_too_old: str  # before the window's first day (staff.max_days_back)
    range_order: str
    seats_range_too_long: str
    export_too_long: str
    key_invalid: str
    key_reused: str
    name_not_text: str
    name_rules: str
    hour_outside: str
    band_outside: str
    seats_below_booked: str
    booking_unknown: str
    booking_ambiguous: str
    booking_choice: str
    booking_gone: str
    call_unknown: str
    slot_not_future: str
    slot_outside: str
    slot_exists: str
    slot_missing: str
    slot_held: str
    already_cleared: str
    city_only: str
    other_nursery: str
    store_unavailable: str  # the database did not answer (a change may or may not be made)
    # the admin API's own refusals, before any operation runs
    api_token_missing: str
    api_token_invalid: str
    api_not_found: str
    api_method: str  # {method}
    api_too_large: str
    api_not_json: str
    api_too_deep: str  # {depth}
    api_not_object: str
    waiting: StaffWaitingMessages  # キャンセル待ち (domain/catalogue_waiting_staff.py)


class StaffActions(Strict):
    """Every staff operation that changes data, in staff's words: its buttons, confirmations,
    refusals, the operation log and its CSV. Keyed by the operation's name (`add-slot` is
    `add_slot`); bot/staff/operation.py reads it through the declaration."""

    add_slot: str
    remove_slot: str
    complete: str
    set_seats: str
    set_seats_days: str
    phone_booking: str
    cancel_booking: str
    cancel_interview: str
    move_interview: str
    missed_interview: str
    remove_registration: str
    correct_contact: str
    close_day: str
    phoned: str
    remove_waiting: str  # キャンセル待ちの取消
    add_account: str  # city staff, in the console
    reset_password: str
    disable_account: str
    enable_account: str
    unlock_account: str
    unlock_address: str
    logout_account: str
    add_token: str  # an admin API token, from the CLI
    revoke_token: str


class LogWords(Strict):
    """How the operation log (page and CSV) names what it recorded, in staff's words."""

    columns: dict[str, str]  # entry attribute -> column header
    actor_kinds: dict[str, str]  # token, account, cli, replay, demo
    fields: dict[str, str]  # a recorded field -> its name
    values: dict[str, dict[str, str]]  # a recorded field -> its coded values in words
    child_with_kana: str  # the child a change was about, with the furigana
    yes_text: str
    no_text: str
    separator: str  # between the fields of one cell in the CSV

    @field_validator("columns")
    @classmethod
    def _every_column(cls, v: dict[str, str]) -> dict[str, str]:
        missing = set(LOG_COLUMNS) - set(v)
        extra = set(v) - set(LOG_COLUMNS)
        if missing or extra:
            missing_text = ", ".join(sorted(missing)) or "-"
            extra_text = ", ".join(sorted(extra)) or "-"
            raise ValueError(
                f"columns must name exactly {', '.join(LOG_COLUMNS)}"
                f" (missing: {missing_text}; unknown: {extra_text})"
            )
        return {k: v[k] for k in LOG_COLUMNS}


LOG_COLUMNS = ("at", "actor", "actor_kind", "nursery", "operation", "params", "before", "after")

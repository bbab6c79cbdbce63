"""The product's configuration (`config.yaml`), validated once at start-up.

Nurseries, hours, seats, deadlines, questions, keywords and every message a
parent reads live here, so adding a nursery or rewording a reply is a change
to `config.yaml` alone.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.lifecycle import STATES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FLOWS = ("registration", "interview", "booking", "cancel", "change", "website", "menu")


class ConfigError(Exception):
    """A configuration problem, worded as one line that names the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Deadline(_Strict):
    """Latest moment a parent may cancel over LINE: `days_before` the day, at `time`."""

    days_before: int = Field(1, ge=0, le=30)
    time: dt.time = dt.time(17, 0)

    def moment(self, day: dt.date, tz: dt.tzinfo) -> dt.datetime:
        return dt.datetime.combine(day - dt.timedelta(days=self.days_before), self.time, tz)

    def before(self, other: Deadline) -> bool:
        """Whether this moment comes earlier than `other`'s, for any day."""
        return (-self.days_before, self.time) < (-other.days_before, other.time)


class CancelDeadlines(_Strict):
    interview: Deadline = Deadline()
    childcare: Deadline = Deadline()


class Hours(_Strict):
    open: int = Field(8, ge=0, le=23)
    close: int = Field(17, ge=1, le=24)

    @model_validator(mode="after")
    def _order(self) -> Hours:
        if self.close <= self.open:
            raise ValueError("close must be later than open")
        return self

    def range(self) -> range:
        return range(self.open, self.close)


class Ages(_Strict):
    """Which children a nursery takes (domain/ages.py): from `min_months` old, in the classes
    (歳児クラス) `first_class` to `last_class`; class 5 is the last before school."""

    min_months: int = Field(4, ge=0, le=72)
    first_class: int = Field(0, ge=0, le=5)
    last_class: int = Field(5, ge=0, le=5)

    @model_validator(mode="after")
    def _order(self) -> Ages:
        if self.last_class < self.first_class:
            raise ValueError("last_class must not be before first_class")
        return self


MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class YearlyClosure(_Strict):
    """Days closed every year, `from` to `to` (MM-DD, inclusive; may run into the new year)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    first: str = Field(alias="from", pattern=MONTH_DAY)
    last: str = Field(alias="to", pattern=MONTH_DAY)

    def covers(self, day: dt.date) -> bool:
        md = f"{day.month:02d}-{day.day:02d}"
        if self.first <= self.last:
            return self.first <= md <= self.last
        return md >= self.first or md <= self.last


NEW_YEAR = YearlyClosure.model_validate({"from": "12-29", "to": "01-03"})


class Question(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    text: str
    choices: list[str] = Field(min_length=1, max_length=13)


class Nursery(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    phone: str = Field(pattern=r"^[0-9-]{10,13}$")
    hours: Hours = Hours()
    seats_per_hour: int = Field(3, ge=0, le=100)
    interview_capacity: int = Field(1, ge=1, le=20)
    closed_weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = ["sun"]
    closed_on_holidays: bool = True
    closed_yearly: list[YearlyClosure] = [NEW_YEAR]  # 年末年始 unless the nursery says otherwise
    closed_dates: list[dt.date] = []  # one-off closures
    ages: Ages = Ages()
    cancel_deadline: CancelDeadlines = CancelDeadlines()
    questions: list[Question] = []
    bring: list[str] = []  # what a child brings on a childcare day (the reminder lists it)


class BookingRules(_Strict):
    horizon_days: int = Field(10, ge=0, le=60)
    min_hours: int = Field(2, ge=1, le=12)
    max_days_per_child: int = Field(2, ge=1, le=10)


class StaffMessages(_Strict):
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


class StaffRules(_Strict):
    """What staff may ask for (admin API, staff CLI, replays), and how refusals read."""

    max_days_ahead: int = Field(366, ge=1, le=731)  # latest date staff can set up or book
    states: dict[str, str]  # a registration's state (domain/lifecycle.py) in staff's words
    messages: StaffMessages

    @field_validator("states")
    @classmethod
    def _every_state(cls, v: dict[str, str]) -> dict[str, str]:
        missing = [s for s in STATES if s not in v]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        return v


class Limits(_Strict):
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    max_text_length: int = Field(200, ge=10, le=5000)


class ReminderTimes(_Strict):
    """When parents are reminded: `days_before` a childcare day or interview, at `time`;
    always before the LINE cancel deadline (checked against every nursery's)."""

    enabled: bool = True
    childcare: Deadline = Deadline(days_before=1, time=dt.time(12, 0))
    interview: Deadline = Deadline(days_before=1, time=dt.time(12, 0))


HEX_COLOUR = r"^#[0-9A-Fa-f]{6}$"


class MenuItem(_Strict):
    """One area of the rich menu: tapping it sends `label` (a keyword), or opens the city's
    website when `link: website`."""

    label: str = Field(min_length=1)
    color: str = Field("#06C755", pattern=HEX_COLOUR)
    text_color: str = Field("#FFFFFF", pattern=HEX_COLOUR)
    link: Literal["website"] | None = None
    image_text: str | None = None  # drawn instead of the label; a line break may be written `\n`


class RichMenu(_Strict):
    """The menu under the chat (`python -m bot richmenu`); LINE allows at most 20 areas and
    14 characters of chat bar text."""

    name: str = Field("menu", min_length=1, max_length=300)
    chat_bar_text: str = Field(min_length=1, max_length=14)
    size: Literal["large", "compact"] = "large"  # 2500x1686 (two rows) or 2500x843 (one)
    background: str = Field("#FFFFFF", pattern=HEX_COLOUR)
    items: list[MenuItem] = Field(min_length=1, max_length=20)


class Sticker(_Strict):
    package_id: str
    sticker_id: str


class Messages(_Strict):
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


class ConsoleMessages(_Strict):
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


class ConsoleSettings(_Strict):
    """The staff web console: session idle time, lockout, and its messages."""

    idle_minutes: int = Field(30, ge=1, le=24 * 60)
    lock_after: int = Field(5, ge=1, le=100)  # wrong passwords in a row that lock an account
    lock_minutes: int = Field(15, ge=1, le=24 * 60)
    days_shown: int = Field(14, ge=7, le=62)  # days on one calendar page
    messages: ConsoleMessages


class AppConfig(_Strict):
    timezone: str = "Asia/Tokyo"
    website_url: str = Field(pattern=r"^https://")
    keywords: dict[str, Literal[FLOWS]]  # type: ignore[valid-type]
    menu: list[str] = Field(min_length=1, max_length=13)
    booking: BookingRules = BookingRules()
    staff: StaffRules
    limits: Limits = Limits()
    interview_documents: list[str]
    child_max_age_years: int = Field(7, ge=1, le=18)  # oldest birth date registration accepts
    childcare_form: str
    completion_sticker: Sticker
    nurseries: list[Nursery] = Field(min_length=1)
    reminders: ReminderTimes = ReminderTimes()
    rich_menu: RichMenu | None = None
    messages: Messages
    console: ConsoleSettings

    @field_validator("keywords")
    @classmethod
    def _keywords_cover_flows(cls, v: dict[str, str]) -> dict[str, str]:
        missing = {"registration", "booking", "cancel", "website", "interview"} - set(v.values())
        if missing:
            raise ValueError(f"no keyword starts {', '.join(sorted(missing))}")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> AppConfig:
        for label in self.menu:
            if label not in self.keywords:
                raise ValueError(f"menu: '{label}' is not one of the keywords")
        for item in self.rich_menu.items if self.rich_menu else []:
            if item.link is None and item.label not in self.keywords:
                raise ValueError(f"rich_menu: '{item.label}' is not one of the keywords")
        for kind in ("childcare", "interview"):
            remind: Deadline = getattr(self.reminders, kind)
            for n in self.nurseries:
                cancel: Deadline = getattr(n.cancel_deadline, kind)
                if self.reminders.enabled and not remind.before(cancel):
                    raise ValueError(
                        f"reminders.{kind}: comes after {n.id}'s LINE cancel deadline "
                        f"(nurseries.{n.id}.cancel_deadline.{kind}); remind before it"
                    )
        ids = [n.id for n in self.nurseries]
        names = [n.name for n in self.nurseries]
        if len(set(ids)) != len(ids) or len(set(names)) != len(names):
            raise ValueError("nurseries: ids and names must be unique")
        return self

    def nursery(self, key: str) -> Nursery:
        """The nursery with this id or name."""
        for n in self.nurseries:
            if key in (n.id, n.name):
                return n
        raise KeyError(key)

    def zone(self) -> dt.tzinfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)


def _describe(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    reason = first["msg"]
    if first["type"] == "missing":
        reason = "missing"
    elif first["type"] == "extra_forbidden":
        reason = "unknown key"
    return f"{source}: {key}: {reason}"


def default_config_path() -> Path:
    """The checkout's config.yaml; an installed wheel's copy (its data files) without one."""
    beside = Path(__file__).resolve().parent.parent / "config.yaml"
    if beside.exists():
        return beside
    return Path(sys.prefix) / "share" / "meguro-ichiji-hoiku-bot" / "config.yaml"


def load_config(path: str | Path | None = None) -> AppConfig:
    """Read and validate config.yaml; raise ConfigError with one line naming the key."""
    path = Path(path) if path else default_config_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} not valid YAML") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: (top level): must be a mapping")
    try:
        return AppConfig.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_describe(e, str(path))) from e

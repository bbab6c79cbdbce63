"""The product's configuration (`config.yaml`), validated once at start-up.

Nurseries, hours, seats, deadlines, questions, keywords and every message a
parent reads live here, so adding a nursery or rewording a reply is a change
to `config.yaml` alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from domain import normalize
from domain.catalogue import (
    ConsoleMessages,
    LogWords,
    Messages,
    StaffActions,
    StaffMessages,
    Strict,
)
from domain.catalogue_preflight import PreflightMessages
from domain.lifecycle import STATES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FLOWS = ("registration", "interview", "booking", "cancel", "change", "website", "menu")


class ConfigError(Exception):
    """A configuration problem, worded as one line that names the key."""


class Deadline(Strict):
    """Latest moment a parent may cancel over LINE: `days_before` the day, at `time`."""

    days_before: int = Field(1, ge=0, le=30)
    time: dt.time = dt.time(17, 0)

    def moment(self, day: dt.date, tz: dt.tzinfo) -> dt.datetime:
        return dt.datetime.combine(day - dt.timedelta(days=self.days_before), self.time, tz)

    def before(self, other: Deadline) -> bool:
        """Whether this moment comes earlier than `other`'s, for any day."""
        return (-self.days_before, self.time) < (-other.days_before, other.time)


class CancelDeadlines(Strict):
    interview: Deadline = Deadline()
    childcare: Deadline = Deadline()


class Hours(Strict):
    open: int = Field(8, ge=0, le=23)
    close: int = Field(17, ge=1, le=24)

    @model_validator(mode="after")
    def _order(self) -> Hours:
        if self.close <= self.open:
            raise ValueError("close must be later than open")
        return self

    def range(self) -> range:
        return range(self.open, self.close)


class Ages(Strict):
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


class YearlyClosure(Strict):
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


class Question(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    text: str
    choices: list[str] = Field(min_length=1, max_length=13)


class Nursery(Strict):
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


class BookingRules(Strict):
    horizon_days: int = Field(10, ge=0, le=60)
    min_hours: int = Field(2, ge=1, le=12)
    max_days_per_child: int = Field(2, ge=1, le=10)


class WaitingRules(Strict):
    """キャンセル待ち: how long freed seats are held for the parent offered them (never past
    the start of the band they wait for)."""

    offer_minutes: int = Field(30, ge=1, le=24 * 60)


class StaffRules(Strict):
    """What staff may ask for (admin API, staff CLI, replays), and how refusals read."""

    max_days_ahead: int = Field(366, ge=1, le=731)  # latest date staff can set up or book
    max_days_back: int = Field(1827, ge=1, le=3653)  # earliest past date staff can read
    states: dict[str, str]  # a registration's state (domain/lifecycle.py) in staff's words
    messages: StaffMessages
    actions: StaffActions
    contact_fields: dict[str, str]  # a registration's contact detail -> its name for people
    fields: dict[str, str]  # an operation's parameter -> its label in refusals
    errors: dict[str, str]  # a kind of bad value (pydantic's error type) -> the refusal

    @field_validator("errors")
    @classmethod
    def _fallback(cls, v: dict[str, str]) -> dict[str, str]:
        if "other" not in v:
            raise ValueError("missing other (the refusal for any other kind of bad value)")
        return v

    @field_validator("states")
    @classmethod
    def _every_state(cls, v: dict[str, str]) -> dict[str, str]:
        missing = [s for s in STATES if s not in v]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        return v


class Limits(Strict):
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    max_text_length: int = Field(200, ge=10, le=5000)


class ReminderTimes(Strict):
    """When parents are reminded: `days_before` a childcare day or interview, at `time`;
    always before the LINE cancel deadline (checked against every nursery's)."""

    enabled: bool = True
    childcare: Deadline = Deadline(days_before=1, time=dt.time(12, 0))
    interview: Deadline = Deadline(days_before=1, time=dt.time(12, 0))


def placeholder_phone(phone: str) -> bool:
    """A number no one answers: 03-0000-0001 and the like (the shipped placeholders)."""
    parts = phone.split("-")
    return len(parts) == 3 and set(parts[1]) == {"0"}


HEX_COLOUR = r"^#[0-9A-Fa-f]{6}$"
ALIAS = r"^[a-z0-9_-]{1,32}$"  # LINE's rule for a rich menu alias id


class MenuItem(Strict):
    """One area of the rich menu: tapping it sends `label` (a keyword), or opens the city's
    website when `link: website`."""

    label: str = Field(min_length=1)
    color: str = Field("#06C755", pattern=HEX_COLOUR)
    text_color: str = Field("#FFFFFF", pattern=HEX_COLOUR)
    link: Literal["website"] | None = None
    image_text: str | None = None  # drawn instead of the label; a line break may be written `\n`


class MenuBack(Strict):
    """The strip across the top of the menu that switches back to the city's own menu: a
    `richmenuswitch` action to `alias`, the alias of the city's menu on the same account."""

    label: str = Field(min_length=1, max_length=20)
    alias: str = Field(pattern=ALIAS)
    color: str = Field("#5A5A5A", pattern=HEX_COLOUR)
    text_color: str = Field("#FFFFFF", pattern=HEX_COLOUR)


class RichMenu(Strict):
    """The menu under the chat (`python -m bot richmenu`); LINE allows at most 20 areas and
    14 characters of chat bar text. It is a sub-menu of the city's account: the city's menu
    opens it through `alias`, and `back` returns there."""

    name: str = Field("menu", min_length=1, max_length=300)
    alias: str = Field(pattern=ALIAS)
    chat_bar_text: str = Field(min_length=1, max_length=14)
    size: Literal["large", "compact"] = "large"  # 2500x1686 (two rows) or 2500x843 (one)
    background: str = Field("#FFFFFF", pattern=HEX_COLOUR)
    items: list[MenuItem] = Field(min_length=1, max_length=19)
    back: MenuBack | None = None


class Sticker(Strict):
    package_id: str
    sticker_id: str


class ConsoleSettings(Strict):
    """The staff web console: session idle time, lockout, and its messages."""

    idle_minutes: int = Field(30, ge=1, le=24 * 60)
    session_hours: int = Field(12, ge=1, le=7 * 24)  # a login's lifetime, however busy
    lock_after: int = Field(5, ge=1, le=100)  # failed logins to one account from one address
    lock_minutes: int = Field(15, ge=1, le=24 * 60)
    address_limit: int = Field(30, ge=1, le=10_000)  # failed logins from one address
    days_shown: int = Field(14, ge=7, le=62)  # days on one calendar page
    messages: ConsoleMessages
    log: LogWords
    export_columns: dict[str, str]  # the bookings export's column -> its header


class AppConfig(Strict):
    timezone: str = "Asia/Tokyo"
    language: str = Field("ja", pattern=r"^[a-z]{2}$")  # the language of this file's words
    switch: list[str] = []  # typed (any letter case) to switch to this language
    translations: list[str] = []  # catalogues in other languages: files beside this one
    website_url: str = Field(pattern=r"^https://")  # the city's 一時保育 page
    forms_url: str = Field(pattern=r"^https://")  # where parents print the forms
    # config keys whose shipped values the city has still to confirm (preflight lists them)
    to_confirm: list[str] = []
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
    waiting: WaitingRules = WaitingRules()
    rich_menu: RichMenu | None = None
    messages: Messages
    console: ConsoleSettings
    preflight: PreflightMessages
    # this configuration in each language, shared by all of them (set by load_config)
    _versions: dict[str, AppConfig] = PrivateAttr(default_factory=dict)
    _switch: dict[str, str] = PrivateAttr(default_factory=dict)  # case-folded word -> language
    _typed: dict[str, str] = PrivateAttr(default_factory=dict)  # folded keyword -> keyword

    def model_post_init(self, context: Any) -> None:
        self._typed = {normalize.fold(k).casefold(): k for k in self.keywords}
        self._switch = {w.casefold(): self.language for w in self.switch}

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
        for key in self.to_confirm:
            try:
                self.value_at(key)
            except KeyError:
                raise ValueError(f"to_confirm: '{key}' is not a key of this file") from None
        return self

    def unconfirmed(self) -> list[str]:
        """Keys whose values cannot go live yet: those in `to_confirm`, and any nursery phone
        number that is a placeholder (its middle group all zeros, as shipped)."""
        keys = list(self.to_confirm)
        for n in self.nurseries:
            key = f"nurseries.{n.id}.phone"
            if placeholder_phone(n.phone) and key not in keys:
                keys.append(key)
        return keys

    def value_at(self, key: str) -> Any:
        """The value under a dotted key (`nurseries.futaba.phone`: a nursery by id)."""
        value: Any = self
        for part in key.split("."):
            if isinstance(value, list):
                value = next((v for v in value if getattr(v, "id", None) == part), None)
            elif isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, BaseModel) and part in type(value).model_fields:
                value = getattr(value, part)
            else:
                value = None
            if value is None:
                raise KeyError(key)
        return value

    def nursery(self, key: str) -> Nursery:
        """The nursery with this id or name."""
        for n in self.nurseries:
            if key in (n.id, n.name):
                return n
        raise KeyError(key)

    def in_language(self, language: str) -> AppConfig:
        """This configuration worded in `language` (itself if there is none)."""
        return self._versions.get(language, self)

    def languages(self) -> list[str]:
        return list(self._versions) or [self.language]

    def share(self, versions: dict[str, AppConfig]) -> None:
        """Set once by load_config on each language's configuration: all of them, and every
        language's switch words."""
        words = {w.casefold(): v.language for v in versions.values() for w in v.switch}
        for version in versions.values():
            version._versions, version._switch = versions, words

    def switch_words(self) -> dict[str, str]:
        """Each language's switch word, case-folded -> the language."""
        return self._switch

    def keyword(self, text: str) -> str | None:
        """The keyword `text` is, as typed or folded in any letter case (`book childcare`),
        or None."""
        text = text.strip()
        return text if text in self.keywords else self._typed.get(normalize.fold(text).casefold())

    def zone(self) -> dt.tzinfo:
        return ZoneInfo(self.timezone)

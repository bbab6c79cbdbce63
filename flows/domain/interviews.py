"""Staff operations on interview slots, registrations and clearance.

Used alike by the admin API, the staff CLI and replay `staff:` steps. Every
result is a plain JSON-ready dict; anything staff asked that cannot be done
raises StaffError with the reason in plain words.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import structlog

from flows import labels
from flows.config import Nursery
from flows.domain import checks
from flows.domain.errors import StaffError
from flows.replies import Text
from flows.services import Services
from storage.interviews import SlotDoc
from storage.names import name_key
from storage.registrations import RegistrationDoc

log = structlog.get_logger("flows.domain.staff")

MAX_INTERVIEW_CAPACITY = 20  # as config.yaml's interview_capacity


def fiscal_year_end(day: dt.date) -> dt.date:
    """31 March of the fiscal year (April to March) that `day` falls in."""
    return dt.date(day.year if day.month <= 3 else day.year + 1, 3, 31)


def same_name(a: str, b: str) -> bool:
    """Names compared as a person does (spaces, widths, kana: `storage.names.name_key`)."""
    return name_key(a) == name_key(b)


NOTICES = {
    "sent": "the parent was told on LINE",
    "blocked": "the parent has blocked the LINE account: tell them by phone",
    "failed": "LINE could not be reached: tell the parent by phone",
}


async def notify(s: Services, user: str, text: str, key: str) -> dict[str, Any]:
    """Push `text` to a parent for a staff action; says whether it reached them.

    The staff action stands either way: a parent who blocked the account, or LINE
    being unreachable, is reported to staff (`notified`, `notice`) to phone instead.
    """
    try:
        how = "sent" if await s.notifier.push(user, [Text(text)], key) else "blocked"
    except Exception as e:
        log.warning("staff_push_failed", error=type(e).__name__)
        how = "failed"
    return {"notified": how == "sent", "notice": NOTICES[how]}


class InterviewStaff:
    s: Services

    # -- helpers shared with the other staff services ---------------------------------------
    def nursery(self, key: str) -> Nursery:
        """The configured nursery with this id or name."""
        try:
            return self.s.config.nursery(str(key).strip())
        except KeyError:
            raise StaffError(f"there is no nursery {key}", 404) from None

    def moment(self, value: dt.datetime | str) -> dt.datetime:
        """A date and time from staff (ISO text or datetime); without a zone it is local time."""
        bad = StaffError(f"{value} is not a date and time like 2024-04-23T10:00")
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise bad from None
        if not isinstance(value, dt.datetime):
            raise bad
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.s.config.zone())
        try:
            return value.astimezone(self.s.config.zone())
        except OverflowError:  # the first or last day the calendar has, in another zone
            raise bad from None

    def _when(self, at: dt.datetime) -> str:
        return at.astimezone(self.s.config.zone()).isoformat(timespec="minutes")

    # -- interview slots ---------------------------------------------------------------------
    async def add_interview_slot(
        self, nursery: str, at: dt.datetime | str, capacity: int | None = None
    ) -> dict[str, Any]:
        """Open an interview slot (capacity from the nursery's config unless given)."""
        n = self.nursery(nursery)
        when = self.moment(at)
        if when <= self.s.now():
            raise StaffError(f"{self._when(when)} is not in the future")
        checks.within(self.s, when.date())
        cap = n.interview_capacity
        if capacity is not None:
            cap = checks.whole(capacity, "capacity", 1, MAX_INTERVIEW_CAPACITY)
        slot = await self.s.repos.interviews.add(n.id, when, cap)
        log.info("interview_slot_added", nursery=n.id, slot=slot.id, capacity=cap)
        return self._slot_json(slot, {})

    async def remove_interview_slot(self, nursery: str, at: dt.datetime | str) -> dict[str, Any]:
        """Delete a slot nobody holds."""
        n = self.nursery(nursery)
        when = self.moment(at)
        slots = self.s.repos.interviews
        gone = await slots.remove(n.id, when)
        if gone is not None:
            log.info("interview_slot_removed", nursery=n.id, slot=gone.id)
            return self._slot_json(gone, {})
        held = [s for s in await slots.all(n.id) if s.at == when]
        if not held:
            raise StaffError(f"{n.name} has no interview slot at {self._when(when)}", 404)
        raise StaffError(
            f"the slot at {self._when(when)} is booked ({len(held[0].holders)}); "
            "it can only be removed when nobody holds it",
            409,
        )

    async def interview_slots(self, nursery: str) -> list[dict[str, Any]]:
        """The nursery's slots from now on, with who holds them."""
        n = self.nursery(nursery)
        slots = await self.s.repos.interviews.upcoming(n.id, self.s.now())
        ids = [rid for s in slots for rid in s.holders]
        names = {r.id: r.child_name for r in await self._regs(n.id) if r.id in ids}
        return [self._slot_json(s, names) for s in slots]

    def _slot_json(self, slot: SlotDoc, names: dict[str, str]) -> dict[str, Any]:
        return {
            "at": self._when(slot.at),
            "capacity": slot.capacity,
            "booked": len(slot.holders),
            "children": [names.get(rid, rid) for rid in slot.holders],
        }

    # -- registrations -------------------------------------------------------------------------
    async def _regs(self, nursery_id: str, **kw: Any) -> list[RegistrationDoc]:
        return await self.s.repos.registrations.at_nursery(nursery_id, **kw)

    async def _reg_json(self, regs: list[RegistrationDoc]) -> list[dict[str, Any]]:
        held = await self.s.repos.interviews.held_by([r.id for r in regs])
        out = []
        for r in regs:
            slot = held.get(r.id)
            out.append(
                {
                    "registration": r.id,
                    "user": r.user,
                    "child": r.child_name,
                    "kana": r.child_kana,
                    "birth_date": r.birth_date,
                    "sex": r.sex,
                    "parent": r.parent_name,
                    "phone": r.phone,
                    "postal_code": r.postal_code,
                    "address": r.address,
                    "registered_at": self._when(r.created_at),
                    "interview_at": self._when(slot.at) if slot else None,
                    "expiry": r.expiry,
                }
            )
        return out

    async def registrations(self, nursery: str) -> list[dict[str, Any]]:
        """Every live registration at the nursery, oldest first."""
        n = self.nursery(nursery)
        return await self._reg_json(await self._regs(n.id))

    async def waiting_interviews(self, nursery: str) -> list[dict[str, Any]]:
        """Registrations not yet cleared: booked interviews first (soonest first), then the rest."""
        n = self.nursery(nursery)
        rows = await self._reg_json(await self._regs(n.id, cleared=False))
        return sorted(rows, key=lambda r: (r["interview_at"] is None, r["interview_at"] or ""))

    async def duplicates(self, nursery: str) -> list[dict[str, Any]]:
        """Children (same name, as a person reads it, and birth date) registered here more
        than once: from several LINE users, or twice by one under two spellings before
        names were compared this way (see Repos.rekey_children)."""
        n = self.nursery(nursery)
        groups: dict[tuple[str, str], list[RegistrationDoc]] = defaultdict(list)
        for r in await self._regs(n.id):
            groups[(name_key(r.child_name), r.birth_date)].append(r)
        out = []
        for regs in groups.values():
            if len(regs) > 1:
                out.append(
                    {
                        "child": regs[0].child_name,
                        "birth_date": regs[0].birth_date,
                        "registrations": await self._reg_json(regs),
                    }
                )
        return out

    # -- clearance ---------------------------------------------------------------------------
    async def complete_interview(
        self, nursery: str, child: str, birth_date: str | None = None
    ) -> dict[str, Any]:
        """The interview took place: clear the registration and tell the parent.

        The expiry is 31 March of the fiscal year of the interview date (the date of
        the slot the registration holds, or today without one). A slot still ahead
        is given back, since the interview it was for has been done. The clearance is
        written first and `notified_at` last, so asking again after a crash half-way
        finishes the job (same retry key: LINE drops a push it already took).
        """
        n = self.nursery(nursery)
        reg = await self._one_child(n, child, birth_date)
        slots = self.s.repos.interviews
        slot = (await slots.held_by([reg.id])).get(reg.id)
        now = self.s.now()
        if reg.cleared():  # an earlier run stopped before the parent was told: finish it
            day = (
                (slot.at if slot else reg.cleared_at or now).astimezone(self.s.config.zone()).date()
            )
        else:
            day = slot.at.astimezone(self.s.config.zone()).date() if slot else now.date()
            cleared = await self.s.repos.registrations.clear(reg.id, now, fiscal_year_end(day))
            if cleared is None:
                raise StaffError(f"{reg.child_name} has already been cleared at {n.name}", 409)
            reg = cleared
        expiry = dt.date.fromisoformat(str(reg.expiry))
        if slot is not None and slot.at > now:
            await slots.release(slot.id, reg.id)
        text = self.s.msg.cleared_push.format(
            child_name=reg.child_name, nursery=n.name, expiry=labels.ymd(expiry)
        )
        told = await notify(self.s, reg.user, text, f"cleared:{reg.user}:{reg.id}")
        if told["notice"] != NOTICES["failed"]:
            await self.s.repos.registrations.mark_notified(reg.id, now)
        log.info(
            "interview_completed", nursery=n.id, registration=reg.id, notified=told["notified"]
        )
        return {
            "registration": reg.id,
            "child": reg.child_name,
            "nursery": n.name,
            "interview_date": day.isoformat(),
            "expiry": expiry.isoformat(),
            **told,
        }

    async def _one_child(self, n: Nursery, child: str, birth_date: str | None) -> RegistrationDoc:
        """The one registration at `n` not yet cleared for this child name (and birth date).

        `child` may also be a registration id, for two same-named children born the same day.
        """
        regs = [
            r for r in await self._regs(n.id) if r.id == child or same_name(r.child_name, child)
        ]
        if birth_date:
            regs = [r for r in regs if r.birth_date == birth_date.strip()]
        if not regs:
            born = f" born {birth_date}" if birth_date else ""
            raise StaffError(f"no child named {child}{born} is registered at {n.name}", 404)
        waiting = [r for r in regs if not r.cleared() or r.notified_at is None]
        if not waiting:
            raise StaffError(
                f"{child} has already been cleared at {n.name} (until {regs[0].expiry})", 409
            )
        if len(waiting) > 1:
            which = "; ".join(
                f"registration {r.id}: born {r.birth_date}, parent {r.parent_name}" for r in waiting
            )
            raise StaffError(
                f"{len(waiting)} children named {child} wait at {n.name} ({which}): "
                "give the birth date or the registration",
                409,
            )
        return waiting[0]

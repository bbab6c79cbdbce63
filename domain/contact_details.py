"""Staff correct a registration's contact details: the parent's name, postal code, address
and phone number, checked by the rules 児童の登録 checks them with (domain/normalize.py).

The parent is told which details changed (not their values), so a change they did not
ask for reaches them; the operation log keeps the details before and after.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from domain import lookup, normalize
from domain.errors import Conflict, Invalid
from domain.interview_changes import InterviewChanges
from domain.services import Services
from domain.views import Contact, Correction

log = structlog.get_logger(__name__)

# field -> (the check 児童の登録 applies, the Messages field saying what is wrong)
RULES: dict[str, tuple[Callable[[str], str | None], str]] = {
    "parent_name": (normalize.name, "invalid_name"),
    "postal_code": (normalize.postal_code, "invalid_postal_code"),
    "address": (normalize.address, "invalid_address"),
    "phone": (normalize.phone, "invalid_phone"),
}


class ContactDetails:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.changes = InterviewChanges(services)

    async def current(self, nursery: str, child: str) -> Contact:
        """The registration's contact details as they are (for the operation log)."""
        n = lookup.nursery(self.services, nursery)
        action = self.services.config.staff.actions.correct_contact
        reg = (await self.changes.one(n, child, None, action)).reg
        return Contact(
            parent_name=reg.parent_name,
            postal_code=reg.postal_code,
            address=reg.address,
            phone=reg.phone,
        )

    async def correct(
        self, nursery: str, child: str, given: dict[str, str | None], reason: str | None = None
    ) -> Correction:
        """Set the details given (others stay); refused, saying why, for a detail 児童の登録
        would refuse, or when nothing would change."""
        n = lookup.nursery(self.services, nursery)
        staff = self.services.config.staff
        life = await self.changes.one(n, child, None, staff.actions.correct_contact)
        reg = life.reg
        fields: dict[str, str] = {}
        for name, raw in given.items():
            if raw is None or not raw.strip():
                continue
            check, wrong = RULES[name]
            value = check(raw)
            if value is None:
                label, reason = staff.contact_fields[name], getattr(self.services.msg, wrong)
                why = (  # "電話番号は…" needs no "電話番号：" before it
                    reason
                    if reason.startswith(label)
                    else staff.messages.field_refused.format(field=label, reason=reason)
                )
                raise Invalid(why, worded=True)
            if value != getattr(reg, name):
                fields[name] = value
        if not fields:
            raise Invalid(staff.messages.contact_unchanged, worded=True)
        updated = await self.services.repos.registrations.correct(reg.id, fields)
        if updated is None:
            raise Conflict(
                staff.messages.state_changed.format(
                    child=reg.child_name, nursery=n.name, action=staff.actions.correct_contact
                ),
                worded=True,
            )

        def names() -> str:  # in the parent's language
            msg = self.services.msg
            return msg.list_separator.join(msg.contact_fields[f] for f in RULES if f in fields)

        told = await self.changes.tell(
            life, n, lambda m: m.contact_corrected_push, "contact", reason, fields=names
        )
        log.info("contact_corrected", nursery=n.id, registration=reg.id, fields=sorted(fields))
        return Correction(
            registration=reg.id,
            child=reg.child_name,
            kana=reg.child_kana,
            nursery=n.name,
            corrected=sorted(fields),
            contact=Contact(
                parent_name=updated.parent_name,
                postal_code=updated.postal_code,
                address=updated.address,
                phone=updated.phone,
            ),
            **told.model_dump(),
        )

"""A LINE user as the account knows them: following or blocked, the language they read
(and the rich menu in it), and their nurseries."""

from __future__ import annotations

from domain import language
from domain.config import Nursery
from domain.registrations import Registrations
from domain.services import Services


class Parents:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.registrations = Registrations(services)

    async def follow(self, user: str, following: bool) -> None:
        """The user added the account (True) or blocked it (False): a blocked user gets no
        pushes until they add it again."""
        await self.services.repos.users.set_following(user, following, self.services.now())

    async def language(self, user: str, known: str | None, followed: bool) -> tuple[str, bool]:
        """The language to answer `user` in, and whether it is settled (kept on the session).

        `known` is the session's. Otherwise the user's own (picked by name, or read from
        LINE before); otherwise, or when they follow again and did not pick one, their LINE
        profile's, kept. A profile LINE did not give is asked for again next time.

        The rich menu follows (`Services.menus`): shown whenever the language is set, and
        at each message of a user whose language is not the base until it is linked (a link
        refused, or lost when the menus were set up again, is made again; the base's is the
        account's own)."""
        if known and not followed:
            # a link that failed is made by a later message (the menus remember what they
            # linked, so this asks LINE nothing once it is made)
            await self._menu(user, known, changed=False)
            return known, True
        users = self.services.repos.users
        stored, chosen = await users.language_setting(user)
        if stored and (chosen or not followed):
            await self._menu(user, stored, changed=False)
            return stored, True
        line = await self.services.profiles.language(user)
        if line is None:
            if stored:
                await self._menu(user, stored, changed=False)
            return stored or language.BASE, stored is not None
        picked = language.from_line(line, self.services.base_config.languages())
        await users.set_language(user, picked, chosen=False)
        await self._menu(user, picked, changed=True)
        return picked, True

    async def choose_language(self, user: str, picked: str) -> None:
        """The user asked for `picked` by name: kept, whatever their LINE is set to."""
        await self.services.repos.users.set_language(user, picked, chosen=True)
        await self._menu(user, picked, changed=True)

    async def menu_switched(self, user: str, alias: str) -> None:
        """The user tapped a rich menu area that switched their menu to the one `alias`
        names: the menus follow the language the user reads (`Menus.switched`)."""
        stored, _ = await self.services.repos.users.language_setting(user)
        await self.services.menus.switched(user, alias, stored or language.BASE)

    async def _menu(self, user: str, spoken: str, changed: bool) -> None:
        if changed:
            await self.services.menus.show(user, spoken)
        elif spoken != language.BASE:
            await self.services.menus.keep(user, spoken)

    async def nurseries(self, user: str) -> list[Nursery]:
        """The nurseries this user has children registered at: whom to phone."""
        return await self.registrations.nurseries_of(user)

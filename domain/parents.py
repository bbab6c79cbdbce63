"""A LINE user as the account knows them: following or blocked, and their nurseries."""

from __future__ import annotations

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

    async def nurseries(self, user: str) -> list[Nursery]:
        """The nurseries this user has children registered at: whom to phone."""
        return await self.registrations.nurseries_of(user)

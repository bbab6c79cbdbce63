"""Admin API routes for seats, phone bookings, rosters and exports (filled in by its issue)."""

from __future__ import annotations

from aiohttp import web


def booking_routes() -> list[web.RouteDef]:
    return []

"""JSON admin API under /admin/api/ for nursery and city staff (filled in by its issue)."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def setup_admin(app: web.Application, bot: Any) -> None:
    """Mount the admin routes (none yet)."""

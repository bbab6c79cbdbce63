"""Who may call the admin API: bearer tokens scoped to one nursery or to the city.

Tokens come from the environment (`ADMIN_TOKENS=futaba:TOKEN,city:TOKEN`; an
entry without `scope:` is a city token) and from the database (created by
`python -m bot staff token SCOPE`, stored hashed). `check_env_tokens` refuses
malformed entries at start-up. No or an unknown token is
401, a token of another nursery 403, an unknown nursery 404; every error body
is `{"error": "..."}`.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from bot.context import BOT
from bot.staff.json_api import http_error
from bot.staff.operation import Actor
from domain.config import ConfigError
from storage.tokens import CITY, token_hash

MIN_TOKEN_LENGTH = 32  # characters; `staff token` makes 43


def env_entry(entry: str) -> tuple[str, str]:
    """(scope, token) of one `ADMIN_TOKENS` entry: `scope:token`, or a bare city token."""
    scope, sep, token = entry.strip().partition(":")
    if not sep:
        return CITY, scope
    return scope.strip(), token.strip()


def check_env_tokens(entries: list[str], nursery_ids: list[str]) -> None:
    """Refuse `ADMIN_TOKENS` entries that would not work as meant, with one line naming the
    entry by position and scope (never the secret): a missing token or scope, an unknown
    nursery, a token shorter than MIN_TOKEN_LENGTH."""
    known = [CITY, *nursery_ids]
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries, 1):
        scope, token = env_entry(entry)
        bare = ":" not in entry
        where = (
            f"ADMIN_TOKENS entry {n} ({'no scope: a city token' if bare else scope or 'no scope'})"
        )
        if not scope:
            raise ConfigError(
                f"{where}: the scope before ':' is missing (one of {', '.join(known)})"
            )
        if not token:
            raise ConfigError(f"{where}: the token after ':' is missing")
        if scope not in known:
            raise ConfigError(f"{where}: no nursery has this id (one of {', '.join(known)})")
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(
                f"{where}: the token is shorter than {MIN_TOKEN_LENGTH} characters "
                "(make one with `python -m bot staff token SCOPE`, or `openssl rand -hex 32`)"
            )
        if token in seen:
            raise ConfigError(f"{where}: the same token as entry {seen[token]}")
        seen[token] = n


def env_scopes(entries: list[str]) -> dict[str, str]:
    """token hash -> scope, from `ADMIN_TOKENS` entries (`scope:token`, or a bare city token).
    Only the token is a credential: the whole entry, `city:TOKEN`, is not (401)."""
    out: dict[str, str] = {}
    for entry in entries:
        scope, token = env_entry(entry.strip())
        out[token_hash(token)] = scope
    return out


async def token_scope(request: web.Request) -> str:
    """The scope of the request's bearer token; 401 if there is none or it is unknown."""
    bot = request.app[BOT]
    auth = request.headers.get("Authorization", "")
    kind, _, token = auth.partition(" ")
    token = token.strip()
    if kind.lower() != "bearer" or not token:
        raise http_error(web.HTTPUnauthorized, bot.config.staff.messages.api_token_missing)
    hashed = token_hash(token)
    for known, scope in env_scopes(bot.settings.admin_tokens).items():
        if hmac.compare_digest(known, hashed):
            return scope
    stored = await bot.repos.tokens.scope_of(token)
    if stored is None:
        raise http_error(web.HTTPUnauthorized, bot.config.staff.messages.api_token_invalid)
    return stored


async def token_actor(request: web.Request) -> Actor:
    """Who calls: the bearer token's scope, named by its hash prefix (never the token)."""
    scope = await token_scope(request)
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return Actor("token", token_hash(token)[:12], scope)

"""Who may call the admin API: bearer tokens scoped to one nursery or to the city.

Tokens come from the environment (`ADMIN_TOKENS=futaba:TOKEN,city:TOKEN`; an
entry without `scope:` is a city token) and from the database (created by
`python -m bot staff token SCOPE`, stored hashed). No or an unknown token is
401, a token of another nursery 403, an unknown nursery 404; every error body
is `{"error": "..."}`.
"""

from __future__ import annotations

import functools
import hmac
import json
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.operations import Actor
from storage.tokens import CITY, token_hash

dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response with Japanese written as is."""
    return web.json_response(data, status=status, dumps=dumps)


def json_error(status: int, message: str) -> web.Response:
    return json_response({"error": message}, status)


def _http_error(cls: type[web.HTTPError], message: str) -> web.HTTPError:
    return cls(text=dumps({"error": message}), content_type="application/json")


def env_scopes(entries: list[str]) -> dict[str, str]:
    """token hash -> scope, from `ADMIN_TOKENS` entries (`scope:token`, or a bare city token).

    The whole entry is accepted as a token too, so a client given `city:TOKEN` verbatim
    (as the test clock route expects) is let in with the same scope.
    """
    out: dict[str, str] = {}
    for entry in entries:
        entry = entry.strip()
        scope, sep, token = entry.partition(":")
        if not sep or not token:
            scope, token = CITY, entry
        out[token_hash(token)] = scope
        out[token_hash(entry)] = scope
    return out


async def token_scope(request: web.Request) -> str:
    """The scope of the request's bearer token; 401 if there is none or it is unknown."""
    bot = request.app[BOT]
    auth = request.headers.get("Authorization", "")
    kind, _, token = auth.partition(" ")
    token = token.strip()
    if kind.lower() != "bearer" or not token:
        raise _http_error(
            web.HTTPUnauthorized, "an admin token is needed (Authorization: Bearer ...)"
        )
    hashed = token_hash(token)
    for known, scope in env_scopes(bot.settings.admin_tokens).items():
        if hmac.compare_digest(known, hashed):
            return scope
    scope = await bot.repos.tokens.scope_of(token)
    if scope is None:
        raise _http_error(web.HTTPUnauthorized, "this admin token is not valid")
    return scope


async def token_actor(request: web.Request) -> Actor:
    """Who calls: the bearer token's scope, named by its hash prefix (never the token)."""
    scope = await token_scope(request)
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return Actor("token", token_hash(token)[:12], scope)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The JSON object in the body; anything else is a 400."""
    try:
        raw: Any = await request.json()
    except ValueError:
        raise _http_error(web.HTTPBadRequest, "the body must be JSON") from None
    if not isinstance(raw, dict):
        raise _http_error(web.HTTPBadRequest, "the body must be a JSON object")
    return raw

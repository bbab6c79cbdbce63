"""The admin API's JSON: answers with Japanese written as is, every error as
`{"error": "..."}`, a body read as one JSON object (UTF-8, nested at most
`json_body.MAX_DEPTH` deep) or refused with 400."""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

from bot import json_body

dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response with Japanese written as is."""
    return web.json_response(data, status=status, dumps=dumps)


def json_error(status: int, message: str) -> web.Response:
    return json_response({"error": message}, status)


def http_error(cls: type[web.HTTPError], message: str) -> web.HTTPError:
    return cls(text=dumps({"error": message}), content_type="application/json")


async def read_json(request: web.Request, words: Any) -> dict[str, Any]:
    """The JSON object in the body; anything else (too deep a nesting too) is a 400, said
    in staff's `words` (config.yaml `staff.messages`)."""
    try:
        raw: Any = json_body.loads(await request.read())
    except json_body.TooDeep:
        text = words.api_too_deep.format(depth=json_body.MAX_DEPTH)
        raise http_error(web.HTTPBadRequest, text) from None
    except ValueError:
        raise http_error(web.HTTPBadRequest, words.api_not_json) from None
    if not isinstance(raw, dict):
        raise http_error(web.HTTPBadRequest, words.api_not_object)
    return raw

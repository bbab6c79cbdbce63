"""Reading a JSON body anyone may send: nesting deeper than MAX_DEPTH is refused before
parsing.

`json.loads` recurses once per nested `[` or `{`: a body of many thousands of them (well
under any size limit) raises RecursionError, which no handler expects. Every JSON body
the server reads (the webhook, the admin API, the browser chat's API) goes through
`loads`, which measures the nesting first with a scan in C and refuses too deep a body
with a ValueError: the error each caller already answers with 400, as it does any body
that is not JSON.
"""

from __future__ import annotations

import json
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64  # nested arrays and objects; no body we take needs more than a handful

_BRACKETS = b"[]{}"
_OTHER = bytes(b for b in range(256) if b not in _BRACKETS)
_STEPS = bytes.maketrans(_BRACKETS, b"\x01\xff\x01\xff")  # +1 and -1 as signed bytes


class TooDeep(ValueError):
    """A JSON text nested deeper than MAX_DEPTH (a ValueError, as any body that is not JSON)."""


def depth(data: str | bytes) -> int:
    """How deep the brackets outside strings nest (`[]` 1, `{"a": [1]}` 2). Escaped
    backslashes, then escaped quotes, are dropped (left to right, as a parser pairs them);
    the pieces between the remaining quotes at even places are outside strings (an
    unterminated last string runs to the end, as for the parser). Every step is a bytes
    operation done in C, linear in the body's length whatever its shape. A text that is
    not JSON may be measured wrongly only after its first error, where `json.loads` stops
    too."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(raw.split(b'"')[::2])
    steps = outside.translate(_STEPS, _OTHER)
    return max(accumulate(memoryview(steps).cast("b")), default=0)


def loads(data: str | bytes) -> Any:
    """`json.loads` of a body (bytes must be UTF-8, as RFC 8259 has JSON), refusing one
    nested deeper than MAX_DEPTH with TooDeep; any other text that is not JSON raises
    ValueError too (UnicodeDecodeError and JSONDecodeError are ValueErrors)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if depth(data) > MAX_DEPTH:
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
    return json.loads(text)

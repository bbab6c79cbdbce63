"""Which language the parent being answered reads: set around each event and each push.

The current language lives in a context variable, so the flows' `services.msg` and
`services.config` are the reader's without being passed through every call, and two
parents handled at once never see each other's. Staff pages run in the base language.
A push to another parent is worded inside `speaking(their language)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

BASE = "ja"

_current: ContextVar[str] = ContextVar("language", default=BASE)


def current() -> str:
    return _current.get()


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Word everything inside in `language`."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def from_line(profile_language: str | None, known: Iterable[str]) -> str:
    """The catalogue for a LINE profile's language (`en`, `en-US`, `ja`, `zh-Hant`...).

    Japanese reads Japanese; any other LINE language reads English when there is an English
    catalogue (a parent who set LINE to Korean or Portuguese reads English more easily than
    Japanese, most likely); no language given reads the base."""
    known = list(known)
    if not profile_language:
        return BASE
    main = profile_language.split("-")[0].lower()
    if main in known:
        return main
    return "en" if "en" in known else BASE

"""Security headers on every response the app prepares (aiohttp's `on_response_prepare`).

The Content-Security-Policy suits the HTML pages (staff and chat pages): scripts, styles,
images and fonts from this origin only (vendored, no CDN, no inline script), fetches, and
WebSocket or server-sent events to this origin only, no framing, no plugins. Inline `<style>`
and `style=` are refused too: a vendored htmx needs
`<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>` (and no `hx-on`,
which evaluates code). `Server` names no version.
"""

from __future__ import annotations

import re

from aiohttp import web

SERVER = "meguro-ichiji-hoiku"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")

FIXED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def content_security_policy(host: str | None) -> str:
    """The policy for a request to `host`; WebSockets are named by host because browsers
    before CSP level 3 do not count ws:/wss: to this origin as 'self'."""
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in FIXED.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", content_security_policy(request.host))
    response.headers["Server"] = SERVER  # aiohttp would add its and Python's versions


def setup_headers(app: web.Application) -> None:
    app.on_response_prepare.append(security_headers)

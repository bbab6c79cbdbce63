"""Debian's Chromium for the browser tests, driven by Playwright (its own browsers are never
downloaded: scripts/_browser.sh installs `chromium` and a Japanese font)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

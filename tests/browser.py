"""Debian's Chromium for the browser tests, driven by Playwright (its own browsers are never
downloaded: scripts/_browser.sh installs them and a Japanese font).

Debian's `chromium-headless-shell` (the same Blink, without the browser's UI layer) is the
one Playwright itself uses for headless runs, and costs the suite far less CPU per page than
the full browser; the full browser is the fallback where only it is installed."""

from __future__ import annotations

from pathlib import Path

HEADLESS_SHELL = Path("/usr/lib/chromium/chromium-headless-shell")
CHROMIUM = str(HEADLESS_SHELL) if HEADLESS_SHELL.exists() else "/usr/bin/chromium"
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

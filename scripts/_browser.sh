# Sourced by scripts/test: Debian's Chromium headless shell and a Japanese font for the browser
# tests (tests/browser.py; the same Blink as the browser, lighter on CPU; a full chromium is
# used where only it is installed). Playwright (a test dependency) drives it; it never
# downloads a browser.
# (fc-list's output is read whole: under pipefail, `grep -q` ending a pipe early fails it)
fonts="$(fc-list 2>/dev/null || true)"
if [ ! -x /usr/lib/chromium/chromium-headless-shell ] || [[ "${fonts,,}" != *"noto sans cjk"* ]]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing chromium-headless-shell and fonts-noto-cjk for the browser tests" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell fonts-noto-cjk >/dev/null
  else
    echo "browser tests need chromium-headless-shell and fonts-noto-cjk (apt-get as root)" >&2
  fi
fi

# Sourced by scripts/test: Debian's Chromium and a Japanese font for the browser tests.
# Playwright (a test dependency) drives /usr/bin/chromium; it never downloads a browser.
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing chromium and fonts-noto-cjk for the browser tests" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "browser tests need /usr/bin/chromium and fonts-noto-cjk (apt-get as root)" >&2
  fi
fi

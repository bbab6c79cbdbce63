# Sourced by scripts/test and scripts/mongoeco: a MongoDB wire-protocol server for the tests.
# mongoeco (pinned in pyproject.toml, [tool.mongoeco-server]) needs Python >= 3.13, so it gets
# its own virtual environment, .venv-mongoeco, made once per change of the pin.
# `mongoeco_start` starts one server on a free loopback port and sets MONGOECO_URI and
# MONGOECO_PID; `mongoeco_stop` ends it (the server also ends when its parent shell is gone).

source "$(dirname "${BASH_SOURCE[0]}")/_pip.sh"

mongoeco_python() {
  # The first Python >= 3.13 found: $MONGOECO_PYTHON, python3.13/python3 on PATH, pyenv's.
  local candidates=("${MONGOECO_PYTHON:-}" python3.14 python3.13 python3)
  local root
  root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
  candidates+=("$root"/versions/3.1[3-9]*/bin/python3)
  local c
  for c in "${candidates[@]}"; do
    [ -n "$c" ] || continue
    if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 13))' >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  echo "mongoeco needs Python >= 3.13 (set MONGOECO_PYTHON, or install one with pyenv)" >&2
  return 1
}

mongoeco_venv() {
  local pin stamp py
  pin="$(sed -n '/^\[tool\.mongoeco-server\]/,/^\[/s/^requires *= *"\(.*\)"/\1/p' pyproject.toml)"
  stamp=".venv-mongoeco/.installed-$(echo "$pin" | sha1sum | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    py="$(mongoeco_python)" || return 1
    rm -rf .venv-mongoeco
    "$py" -m venv .venv-mongoeco
    venv_install .venv-mongoeco "$pin" >&2
    touch "$stamp"
  fi
}

mongoeco_start() {
  mongoeco_venv || return 1
  local out
  out="$(mktemp)"
  .venv-mongoeco/bin/python scripts/mongoeco_server.py --parent "$$" >"$out" &
  MONGOECO_PID=$!
  MONGOECO_URI=""
  local i
  for i in $(seq 1 600); do
    MONGOECO_URI="$(head -n1 "$out")"
    [ -n "$MONGOECO_URI" ] && break
    if ! kill -0 "$MONGOECO_PID" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  rm -f "$out"
  if [ -z "$MONGOECO_URI" ]; then
    echo "the mongoeco server did not start" >&2
    mongoeco_stop
    return 1
  fi
  export MONGOECO_URI MONGOECO_PID
}

mongoeco_stop() {
  if [ -n "${MONGOECO_PID:-}" ]; then
    kill "$MONGOECO_PID" 2>/dev/null || true
    wait "$MONGOECO_PID" 2>/dev/null || true
    MONGOECO_PID=""
  fi
}

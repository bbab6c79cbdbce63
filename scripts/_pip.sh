# Sourced by the scripts: `venv_install VENV ARGS...` installs packages into a virtual
# environment with uv (several times faster than pip at resolving and unpacking), which it
# first installs there with the venv's own pip; where uv cannot be had, pip does it all.
venv_install() {
  local venv="$1"
  shift
  if [ -x "$venv/bin/uv" ] || "$venv/bin/python" -m pip install -q --disable-pip-version-check uv 2>/dev/null; then
    # Compiled as pip would: the tests' processes start from .pyc files, not from source.
    "$venv/bin/uv" pip install -q --compile-bytecode --python "$venv/bin/python" "$@"
  else
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@"
  fi
}

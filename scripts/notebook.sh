#!/usr/bin/env bash
# `npm run notebook`: the classic Jupyter Notebook on notebooks/, on 127.0.0.1 with a token (Jupyter prints the
# URL to open), with this checkout's kernels (JUPYTER_PATH=<repo>/.cache/jupyter). No browser is opened on a
# machine without a display. The environment reaches the kernels: UNIR_PROFILE=ci npm run notebook runs the
# notebooks' tiny configurations. Extra arguments go to Jupyter (npm run notebook -- --port 8890; --notebook-dir
# replaces notebooks/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if ! /usr/bin/python3 -c 'import notebook' 2>/dev/null; then
  echo "notebook: Debian's jupyter-notebook is not installed: run 'npm run setup:jupyter'" >&2
  exit 1
fi
node scripts/jupyter-kernels.mjs --local >/dev/null
export JUPYTER_PATH="$root/.cache/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
args=(--ip=127.0.0.1)
case " $* " in *" --notebook-dir"*|*" --NotebookApp.notebook_dir"*) ;; *) args+=(--notebook-dir="$root/notebooks") ;; esac
[ "$(id -u)" != 0 ] || args+=(--allow-root) # CI and containers run as root
if [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then args+=(--no-browser); fi
echo "notebook: profile ${UNIR_PROFILE:-full} (UNIR_PROFILE=ci npm run notebook for tiny runs), kernel 'TypeScript (unir)' of $root"
exec /usr/bin/python3 -m notebook "${args[@]}" "$@"

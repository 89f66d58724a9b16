#!/usr/bin/env bash
# Installs what `npm run bench` needs besides node_modules: Debian's PyTorch (CPU) for bench/torch-reference.py.
# Idempotent: does nothing when /usr/bin/python3 already imports torch. bench/index.ts calls it.
set -euo pipefail
PY=/usr/bin/python3
if "$PY" -c 'import torch' >/dev/null 2>&1; then
  echo "bench-setup: torch $("$PY" -c 'import torch; print(torch.__version__)') already installed" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "bench-setup: python3-torch is missing and this user cannot apt-get install; run as root: apt-get install -y python3-torch" >&2
    exit 1
  fi
fi
echo "bench-setup: installing python3-torch (Debian, CPU) with apt-get ..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends python3-torch >&2
"$PY" -c 'import torch; print("bench-setup: torch", torch.__version__, "ready")' >&2

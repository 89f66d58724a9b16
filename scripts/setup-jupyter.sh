#!/usr/bin/env bash
# Installs Debian's Jupyter — the classic Notebook front end (jupyter-notebook) plus nbconvert, nbclient and
# ipykernel — and writes unir's TypeScript kernels (scripts/jupyter-kernels.mjs):
#   unir   — tslab started at the checkout's root, so notebooks import './src/notebook' and see runs/, data/
#   tslab  — tslab in the notebook's folder
# once for this checkout (<repo>/.cache/jupyter, used by `npm run notebook` and the tests) and once at user
# level for other front ends (JupyterLab, VS Code), where they run the checkout the notebook is in.
# Idempotent. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! /usr/bin/python3 -c 'import notebook, nbconvert, nbclient, ipykernel' 2>/dev/null; then
  echo "setup:jupyter: installing jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel >/dev/null
fi
[ -x node_modules/.bin/tslab ] || { echo "setup:jupyter: node_modules/.bin/tslab missing: run 'npm ci' first" >&2; exit 1; }
node scripts/jupyter-kernels.mjs
echo "setup:jupyter: ok — start Jupyter on notebooks/ with 'npm run notebook' (UNIR_PROFILE=ci npm run notebook for tiny runs)"

#!/usr/bin/env bash
# Installs Debian's Jupyter and registers the tslab (TypeScript) kernel against /usr/bin/python3.
# Idempotent. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! /usr/bin/python3 -c 'import nbconvert, nbclient, ipykernel' 2>/dev/null; then
  echo "setup:jupyter: installing jupyter-nbconvert python3-nbclient python3-ipykernel (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq jupyter-nbconvert python3-nbclient python3-ipykernel >/dev/null
fi
[ -x node_modules/.bin/tslab ] || { echo "setup:jupyter: node_modules/.bin/tslab missing: run 'npm ci' first" >&2; exit 1; }
node_modules/.bin/tslab install --python=/usr/bin/python3 >/dev/null
# The kernelspec runs `tslab` from PATH; point it at this checkout's tslab so Jupyter works without PATH edits.
spec_dir=$(/usr/bin/python3 -m jupyter kernelspec list --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["kernelspecs"]["tslab"]["resource_dir"])')
/usr/bin/python3 - "$spec_dir/kernel.json" "$PWD/node_modules/.bin/tslab" <<'PY'
import json, sys
path, tslab = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec["argv"][0] = tslab
json.dump(spec, open(path + ".tmp", "w"), indent=1)
import os; os.replace(path + ".tmp", path)
PY
echo "setup:jupyter: ok — kernel 'tslab' ($spec_dir) runs $PWD/node_modules/.bin/tslab"

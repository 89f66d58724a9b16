#!/usr/bin/env bash
# Installs Debian's Jupyter and registers the TypeScript kernels against /usr/bin/python3:
#   tslab  — tslab's own kernel (runs in the notebook's folder)
#   unir   — tslab started at this repository's root, so notebooks import './src/notebook' and see runs/, data/
# Idempotent. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! /usr/bin/python3 -c 'import nbconvert, nbclient, ipykernel' 2>/dev/null; then
  echo "setup:jupyter: installing jupyter-nbconvert python3-nbclient python3-ipykernel (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq jupyter-nbconvert python3-nbclient python3-ipykernel >/dev/null
fi
[ -x node_modules/.bin/tslab ] || { echo "setup:jupyter: node_modules/.bin/tslab missing: run 'npm ci' first" >&2; exit 1; }
node_modules/.bin/tslab install --python=/usr/bin/python3 >/dev/null
spec_dir=$(PYDEVD_DISABLE_FILE_VALIDATION=1 /usr/bin/python3 -Xfrozen_modules=off -c 'from jupyter_client.kernelspec import KernelSpecManager as K; print(K().get_kernel_spec("tslab").resource_dir)')
unir_dir="$(dirname "$spec_dir")/unir"
/usr/bin/python3 - "$spec_dir/kernel.json" "$unir_dir" "$root" <<'PY'
import json, os, sys
tslab_spec, unir_dir, root = sys.argv[1], sys.argv[2], sys.argv[3]
tslab = os.path.join(root, "node_modules", ".bin", "tslab")
def write(path, spec):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(spec, f, indent=1)
    os.replace(path + ".tmp", path)
# tslab's kernel: point it at this checkout's tslab so it works without PATH edits.
spec = json.load(open(tslab_spec))
spec["argv"][0] = tslab
write(tslab_spec, spec)
# unir's kernel: the same tslab, started at the repository root (tslab compiles files under its cwd only).
write(os.path.join(unir_dir, "kernel.json"), {
    "argv": ["/bin/sh", "-c", 'cd "$1" && exec "$2" kernel --config-path "$3"', "unir-kernel", root, tslab, "{connection_file}"],
    "display_name": "TypeScript (unir)",
    "language": "typescript",
    "env": {"UNIR_ROOT": root},
})
PY
echo "setup:jupyter: ok — kernels 'tslab' ($spec_dir) and 'unir' ($unir_dir, runs at $root)"

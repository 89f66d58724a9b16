#!/usr/bin/env node
// Writes unir's Jupyter kernel specs. Run by scripts/setup-jupyter.sh (both kinds) and scripts/notebook.sh
// (--local: refreshes this checkout's own specs before starting Jupyter).
//
//  this checkout's specs  <repo>/.cache/jupyter/kernels/{unir,tslab}  (git-ignored)
//      argv names this checkout's tslab and root. Selected with JUPYTER_PATH=<repo>/.cache/jupyter, which
//      `npm run notebook` and the notebook tests set, so no other clone's setup can re-point them.
//  user-level specs       $(jupyter --data-dir)/kernels/{unir,tslab}
//      for front ends started any other way (JupyterLab, VS Code, `jupyter notebook`, nbconvert). They name no
//      checkout: the kernel starts in the notebook's folder and runs the unir checkout found there or above, so
//      every clone's setup writes the same argv and two clones never re-point each other.
//  unir    tslab started at the checkout's root (notebooks import './src/notebook' and see runs/, data/)
//  tslab   tslab in the notebook's folder
// Each spec folder also holds kernel.js (src/notebook/classic-kernel.js: the classic Notebook draws plotly
// figures with it) and plotly.min.js (served to the page from the spec folder, so charts draw offline).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const PYTHON = '/usr/bin/python3';
export const LOCAL_DATA_DIR = join(root, '.cache', 'jupyter');
const tslab = join(root, 'node_modules', '.bin', 'tslab');
const launcher = join(root, 'scripts', 'tslab-kernel.cjs'); // tslab without TypeScript's folder watchers (see there)
const plotly = require.resolve('plotly.js-dist-min/plotly.min.js');
const kernelJs = join(root, 'src', 'notebook', 'classic-kernel.js');

// Finds the unir checkout at or above the kernel's working directory (the notebook's folder), then starts its tslab.
const FIND_CHECKOUT = `d=$(pwd -P); here=$d
while :; do
  if [ -f "$d/scripts/tslab-kernel.cjs" ] && [ -d "$d/node_modules/tslab" ] && grep -qs '"name": *"unir"' "$d/package.json"; then break; fi
  if [ "$d" = / ]; then echo "unir kernel: no unir checkout (package.json, scripts/tslab-kernel.cjs, node_modules/tslab) in $here or above it: open notebooks that live in a checkout, or start Jupyter with 'npm run notebook'" >&2; exit 1; fi
  d=$(dirname "$d")
done`;

const specs = {
  unir: {
    display_name: 'TypeScript (unir)',
    local: [
      '/bin/sh',
      '-c',
      'cd "$1" && exec "$2" "$3" kernel --config-path "$4"',
      'unir-kernel',
      root,
      process.execPath,
      launcher,
      '{connection_file}',
    ],
    user: [
      '/bin/sh',
      '-c',
      `${FIND_CHECKOUT}\ncd "$d" && UNIR_ROOT=$d exec node "$d/scripts/tslab-kernel.cjs" kernel --config-path "$1"`,
      'unir-kernel',
      '{connection_file}',
    ],
    env: (r) => (r ? { UNIR_ROOT: r } : {}),
  },
  tslab: {
    display_name: 'TypeScript',
    local: [process.execPath, launcher, 'kernel', '--config-path', '{connection_file}'],
    user: [
      '/bin/sh',
      '-c',
      `${FIND_CHECKOUT}\nexec node "$d/scripts/tslab-kernel.cjs" kernel --config-path "$1"`,
      'tslab-kernel',
      '{connection_file}',
    ],
    env: () => ({}),
  },
};

function writeAtomic(path, data) {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

function copyIfChanged(from, to) {
  if (existsSync(to) && readFileSync(to).equals(readFileSync(from))) return;
  copyFileSync(from, `${to}.tmp`);
  renameSync(`${to}.tmp`, to);
}

/** Writes the specs under <dataDir>/kernels; `local`: the argv of this checkout, else the checkout-finding one. */
export function writeSpecs(dataDir, local) {
  const written = [];
  for (const [name, s] of Object.entries(specs)) {
    const dir = join(dataDir, 'kernels', name);
    mkdirSync(dir, { recursive: true });
    const spec = {
      argv: local ? s.local : s.user,
      display_name: s.display_name,
      language: 'typescript',
      env: { ...s.env(local ? root : undefined), UNIR_KERNEL_NAME: name },
      metadata: { unir: local ? 'this checkout' : 'the checkout the notebook is in' },
    };
    writeAtomic(join(dir, 'kernel.json'), `${JSON.stringify(spec, null, 1)}\n`);
    copyIfChanged(kernelJs, join(dir, 'kernel.js'));
    copyIfChanged(plotly, join(dir, 'plotly.min.js'));
    written.push(dir);
  }
  return written;
}

/** Jupyter's user data folder ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter on Linux). */
function userDataDir() {
  const r = spawnSync(PYTHON, ['-c', 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())'], {
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(`jupyter-kernels: ${PYTHON} has no jupyter_core (run npm run setup:jupyter): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!existsSync(tslab)) {
    console.error("jupyter-kernels: node_modules/.bin/tslab missing: run 'npm ci' first");
    process.exit(1);
  }
  const local = writeSpecs(LOCAL_DATA_DIR, true);
  console.log(`kernels of this checkout: ${local.join(', ')} (selected with JUPYTER_PATH=${LOCAL_DATA_DIR})`);
  if (!process.argv.includes('--local')) {
    const user = writeSpecs(userDataDir(), false);
    console.log(`user-level kernels (run the checkout a notebook is in): ${user.join(', ')}`);
  }
}

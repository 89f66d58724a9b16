import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The Python that has Debian's Jupyter (the pyenv `python3` first on PATH does not). */
export const JUPYTER_PYTHON = '/usr/bin/python3';
export const SETUP_JUPYTER = 'npm run setup:jupyter';

export interface JupyterStatus {
  python: string;
  jupyter: boolean; // nbconvert + nbclient + ipykernel importable
  tslabKernel: boolean; // kernelspec 'tslab' registered
  unirKernel: boolean; // kernelspec 'unir' (tslab at the repo root; the notebooks use it) registered
  kernelPath?: string;
  fix?: string;
}

/** Is Jupyter usable with the TypeScript (tslab) kernel? Never throws. */
export function jupyterStatus(): JupyterStatus {
  const status: JupyterStatus = { python: JUPYTER_PYTHON, jupyter: false, tslabKernel: false, unirKernel: false };
  if (existsSync(JUPYTER_PYTHON)) {
    const mods = spawnSync(JUPYTER_PYTHON, ['-c', 'import nbconvert, nbclient, ipykernel'], { encoding: 'utf8' });
    status.jupyter = mods.status === 0;
    if (status.jupyter) {
      const code =
        'from jupyter_client.kernelspec import KernelSpecManager as K; import json; print(json.dumps({k: v["resource_dir"] for k, v in K().get_all_specs().items()}))';
      const ks = spawnSync(JUPYTER_PYTHON, ['-Xfrozen_modules=off', '-c', code], {
        encoding: 'utf8',
        env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
      });
      if (ks.status === 0) {
        try {
          const specs = JSON.parse(ks.stdout) as Record<string, string>;
          if (specs.tslab) [status.tslabKernel, status.kernelPath] = [true, specs.tslab];
          status.unirKernel = 'unir' in specs;
        } catch {
          /* unparsable output: treat as not registered */
        }
      }
    }
  }
  if (!status.jupyter || !status.tslabKernel || !status.unirKernel) status.fix = SETUP_JUPYTER;
  return status;
}

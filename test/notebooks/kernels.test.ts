import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * unir's kernel specs (written by `npm run setup:jupyter`, scripts/jupyter-kernels.mjs): this checkout's own
 * under .cache/jupyter (JUPYTER_PATH), and user-level ones that run the checkout a notebook is in.
 */
const ROOT = resolve('.');
const LOCAL = join(ROOT, '.cache', 'jupyter');
const PY = '/usr/bin/python3';
const tmp = mkdtempSync(join(tmpdir(), 'unir-kernels-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Spec {
  resource_dir: string;
  spec: { argv: string[]; env: Record<string, string>; display_name: string };
}
function specs(env: Record<string, string | undefined>): Record<string, Spec> {
  const code =
    'from jupyter_client.kernelspec import KernelSpecManager as K; import json; print(json.dumps(K().get_all_specs()))';
  const r = spawnSync(PY, ['-Xfrozen_modules=off', '-c', code], {
    encoding: 'utf8',
    env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1', ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, Spec>;
}
const fill = (argv: string[], conn: string) => argv.map((a) => a.replace('{connection_file}', conn));

describe('kernel specs per checkout', () => {
  it("JUPYTER_PATH=<repo>/.cache/jupyter selects this checkout's unir kernel, with kernel.js and plotly.js beside it", () => {
    const s = specs({ JUPYTER_PATH: LOCAL });
    expect(s.unir!.resource_dir).toBe(join(LOCAL, 'kernels', 'unir'));
    expect(s.unir!.spec.display_name).toBe('TypeScript (unir)');
    expect(s.unir!.spec.argv).toEqual(expect.arrayContaining([ROOT, join(ROOT, 'scripts', 'tslab-kernel.cjs')]));
    expect(s.tslab!.resource_dir).toBe(join(LOCAL, 'kernels', 'tslab'));
    for (const k of ['unir', 'tslab']) {
      const dir = s[k]!.resource_dir;
      expect(readFileSync(join(dir, 'kernel.js'), 'utf8')).toBe(readFileSync('src/notebook/classic-kernel.js', 'utf8'));
      expect(
        readFileSync(join(dir, 'plotly.min.js')).equals(readFileSync('node_modules/plotly.js-dist-min/plotly.min.js')),
      ).toBe(true);
    }
  });

  it('the user-level specs name no checkout: each clone runs itself, from the folder of the notebook', () => {
    const user = specs({ JUPYTER_PATH: '' });
    for (const k of ['unir', 'tslab']) {
      expect(user[k]!.resource_dir.startsWith(LOCAL)).toBe(false);
      expect(JSON.stringify(user[k]!.spec)).not.toContain(ROOT);
    }
    // a second clone: its launcher prints where it was started instead of starting tslab
    const clone = join(tmp, 'other-clone');
    mkdirSync(join(clone, 'scripts'), { recursive: true });
    mkdirSync(join(clone, 'node_modules', 'tslab'), { recursive: true });
    mkdirSync(join(clone, 'notebooks', 'deeper'), { recursive: true });
    writeFileSync(join(clone, 'package.json'), '{\n  "name": "unir",\n  "version": "0.1.0"\n}\n');
    writeFileSync(
      join(clone, 'scripts', 'tslab-kernel.cjs'),
      'console.log(JSON.stringify({ cwd: process.cwd(), args: process.argv.slice(2), root: process.env.UNIR_ROOT ?? null }));\n',
    );
    const [cmd, ...args] = fill(user.unir!.spec.argv, '/tmp/conn.json');
    const r = spawnSync(cmd!, args, { cwd: join(clone, 'notebooks', 'deeper'), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      cwd: clone,
      args: ['kernel', '--config-path', '/tmp/conn.json'],
      root: clone,
    });
    const [tcmd, ...targs] = fill(user.tslab!.spec.argv, '/tmp/conn.json');
    const t = spawnSync(tcmd!, targs, { cwd: join(clone, 'notebooks', 'deeper'), encoding: 'utf8' });
    expect(JSON.parse(t.stdout)).toMatchObject({
      cwd: join(clone, 'notebooks', 'deeper'),
      args: ['kernel', '--config-path', '/tmp/conn.json'],
    });
    // outside any checkout: a one-line error that says what to do
    const outside = spawnSync(cmd!, args, { cwd: tmp, encoding: 'utf8' });
    expect(outside.status).toBe(1);
    expect(outside.stderr.trim()).toBe(
      `unir kernel: no unir checkout (package.json, scripts/tslab-kernel.cjs, node_modules/tslab) in ${tmp} or above it: open notebooks that live in a checkout, or start Jupyter with 'npm run notebook'`,
    );
  });

  it('a running kernel (either spec) keeps working after a .json file appears in src/ (tslab used to fail every later cell)', () => {
    const probe = join(ROOT, 'src', 'notebook', `.kernel-watch-probe-${process.pid}.json`);
    const script = `
import json, os, sys, time
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name='unir', cwd=sys.argv[1])
def run(code):
    out = []
    def hook(msg):
        c = msg['content']
        if msg['msg_type'] == 'stream': out.append(c['text'])
        elif msg['msg_type'] == 'error': out.append('ERROR ' + c['evalue'])
    kc.execute_interactive(code, output_hook=hook, timeout=120)
    return ''.join(out).strip()
try:
    first = run("import { profile } from './src/notebook';\\nconsole.log(profile(), process.cwd())")
    with open(sys.argv[2], 'w') as f: f.write('{}')
    time.sleep(2)
    print(json.dumps([first, run('console.log(6 * 7)'), run('console.log(profile())')]))
finally:
    os.remove(sys.argv[2])
    km.shutdown_kernel(now=True)
`;
    try {
      for (const JUPYTER_PATH of [LOCAL, '']) {
        const r = spawnSync(PY, ['-Xfrozen_modules=off', '-c', script, join(ROOT, 'notebooks'), probe], {
          encoding: 'utf8',
          timeout: 300_000,
          env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1', JUPYTER_PATH, UNIR_PROFILE: 'ci' },
        });
        expect(r.status, r.stderr.slice(-2000)).toBe(0);
        expect(JSON.parse(r.stdout.trim().split('\n').pop()!), `JUPYTER_PATH=${JUPYTER_PATH}`).toEqual([
          `ci ${ROOT}`,
          '42',
          'ci',
        ]);
      }
    } finally {
      rmSync(probe, { force: true });
    }
  }, 300_000);
});

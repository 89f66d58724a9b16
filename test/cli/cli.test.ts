import { describe, expect, it } from 'vitest';
import { unir } from '../helpers/cli';

describe('unir CLI', () => {
  it('--help lists the commands', () => {
    const r = unir(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}doctor +Check the machine/m);
    expect(r.stdout).toMatch(/^ {2}plugins +List registered plugins/m);
  });

  it('plugins --json lists every built-in with its defaults', () => {
    const r = unir(['plugins', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { kind: string; id: string; summary: string; defaults: unknown }[];
    for (const row of rows) {
      expect(row.summary.length).toBeGreaterThan(0);
      expect(row.defaults).toBeTypeOf('object');
    }
    expect(rows.map((x) => `${x.kind}/${x.id}`)).toEqual([...new Set(rows.map((x) => `${x.kind}/${x.id}`))]);
  });

  it.each([
    [
      ['--backend', 'cuda', 'plugins'],
      "unir: --backend: unknown backend 'cuda'. Use one of auto, tensorflow-gpu, tensorflow, wasm, cpu.",
    ],
    [
      ['plugins', '--kind', 'losss'],
      "unir: plugins --kind: unknown kind 'losss'. Did you mean 'loss'? Known: tokenizer, encoder, fusion, loss, curriculum, dataset, metric, index, observer, augmentation, baseline.",
    ],
    [['plugins', '--bogus'], "unir: unir plugins: Unknown option '--bogus'. See 'unir plugins --help'."],
    [['plugns'], /^unir: unknown command 'plugns'\. Did you mean 'plugins'\? Known: .*\.$/],
  ])('bad input %j: one line, exit 2, no stack trace', (args, message) => {
    const r = unir(args as string[]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    if (typeof message === 'string') expect(lines[0]).toBe(message);
    else expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});

describe('unir doctor', () => {
  it('--json reports the wasm backend with every core as a thread, the training kernels and Jupyter', async () => {
    const { availableParallelism } = await import('node:os');
    const r = unir(['doctor', '--json'], { UNIR_WASM_THREADS: '' });
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.backend.name).toBe('wasm');
    expect(d.backend.threads).toBe(Math.min(8, availableParallelism()));
    expect(d.backend.kernels).toEqual(
      expect.arrayContaining([
        'UnsortedSegmentSum',
        'Conv2DBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
      ]),
    );
    expect(d.backends.find((b: { name: string }) => b.name === 'tensorflow').loads).toBe(false);
    expect(d.plugins.loss).toEqual(['distill-mse', 'info-nce', 'intent-ce', 'mse-align', 'siglip', 'slot-ce']);
    expect(d.jupyter).toMatchObject({ jupyter: true, tslabKernel: true, unirKernel: true });
  });

  it('--backend tensorflow when tfjs-node is absent: one line naming the fix', () => {
    const r = unir(['doctor', '--backend', 'tensorflow']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/tfjs-node.*not installed.*--backend wasm/);
  });
});

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
    [['--backend', 'cuda', 'plugins'], "unir: --backend: unknown backend 'cuda'. Use one of auto, tensorflow-gpu, tensorflow, wasm, cpu."],
    [['plugins', '--kind', 'losss'], "unir: plugins --kind: unknown kind 'losss'. Did you mean 'loss'? Known: tokenizer, encoder, fusion, loss, curriculum, dataset, metric, index, observer."],
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

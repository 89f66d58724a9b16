import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Every notebook runs top to bottom on the 'unir' kernel with UNIR_PROFILE=ci (tiny configs) and produces
 * no error output; committed notebooks carry no outputs. Needs `npm run setup:jupyter` (the kernel). The kernel
 * is this checkout's own (JUPYTER_PATH=<repo>/.cache/jupyter), whatever another clone's setup wrote.
 */
interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  data?: Record<string, string | string[] | object>;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
}
const NB_DIR = 'notebooks';
const notebooks = readdirSync(NB_DIR)
  .filter((f) => f.endsWith('.ipynb'))
  .sort();
const read = (p: string) =>
  JSON.parse(readFileSync(p, 'utf8')) as { cells: Cell[]; metadata: { kernelspec?: { name?: string } } };
const text = (t: Output['text']) => (Array.isArray(t) ? t.join('') : (t ?? ''));
const tmp = mkdtempSync(join(tmpdir(), 'unir-nb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('notebooks', () => {
  it('are the seven expected ones, on the unir kernel, committed without outputs or execution counts', () => {
    expect(notebooks).toEqual(
      [
        '00-quickstart',
        '01-three-stage',
        '02-sweep-alpha-a-b',
        '03-staged-vs-single',
        '04-umap-multilingual',
        '05-custom-plugin',
        '06-search',
      ].map((n) => `${n}.ipynb`),
    );
    for (const f of notebooks) {
      const nb = read(join(NB_DIR, f));
      expect(nb.metadata.kernelspec?.name, f).toBe('unir');
      expect(nb.cells.length, f).toBeLessThanOrEqual(15);
      for (const c of nb.cells.filter((x) => x.cell_type === 'code')) {
        expect(c.outputs, f).toEqual([]);
        expect(c.execution_count, f).toBeNull();
      }
    }
  });

  it.each(notebooks)(
    '%s runs with UNIR_PROFILE=ci without errors',
    (f) => {
      const out = join(tmp, f.replace('.ipynb', '.out.ipynb'));
      const r = spawnSync(
        '/usr/bin/python3',
        [
          '-m',
          'jupyter',
          'nbconvert',
          '--to',
          'notebook',
          '--execute',
          join(NB_DIR, f),
          '--ExecutePreprocessor.timeout=900',
          '--output',
          out,
        ],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            JUPYTER_PATH: resolve('.cache/jupyter'),
            UNIR_PROFILE: 'ci',
            UNIR_WASM_THREADS: '2',
            UNIR_RUNS_DIR: join(tmp, 'runs'),
          },
          timeout: 900_000,
        },
      );
      expect(
        r.status,
        r.stderr
          .split('\n')
          .filter((l) => /Error/.test(l))
          .slice(-5)
          .join('\n'),
      ).toBe(0);
      const cells = read(out).cells.filter((c) => c.cell_type === 'code');
      const bad = cells.flatMap((c, i) =>
        (c.outputs ?? [])
          .filter(
            (o) =>
              o.output_type === 'error' ||
              (o.output_type === 'stream' && o.name === 'stderr' && /Error/.test(text(o.text))),
          )
          .map((o) => `cell ${i}: ${o.ename ?? ''} ${o.evalue ?? text(o.text).slice(0, 300)}`),
      );
      expect(bad).toEqual([]);
      expect(cells[cells.length - 1]!.outputs?.length, 'the last cell shows something').toBeGreaterThan(0); // tslab leaves execution_count null
      // tidy outputs: no plugin objects with zod internals, no raw Markdown tables, no JSON in table cells
      const shown = cells.flatMap((c) =>
        (c.outputs ?? []).map((o) =>
          [text(o.text), text(o.data?.['text/plain'] as string[]), text(o.data?.['text/html'] as string[])].join('\n'),
        ),
      );
      for (const s of shown) {
        expect(s).not.toMatch(/ZodObject|\[Function: create\]/);
        expect(s).not.toMatch(/^\|.*\|\s*$/m);
        expect(s).not.toMatch(/<td>\{&quot;/);
      }
      if (f.startsWith('05-')) {
        const all = shown.join('\n');
        expect(all).toContain("registered loss 'cosine-align' — ");
        expect(all).toContain("registered augmentation 'invert' — ");
        // the cell's own metric was computed on the test split's captions and images
        expect(all).toMatch(/caption–image cosine on test: -?\d\.\d{3} over [1-9]\d* pairs/);
      }
    },
    900_000,
  );
});

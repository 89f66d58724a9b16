import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openInChromium } from '../helpers/browser';
import { unir } from '../helpers/cli';
import { readEmbeddings } from '../../src/core/eval/embeddings';
import { trustworthiness } from '../../src/core/umap/quality';
import { rand } from '../core/backend/oracle';

const tmp = mkdtempSync(join(tmpdir(), 'unir-umap-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const TINY = [
  '--set',
  'curriculum.steps.stage1=4',
  '--set',
  'curriculum.steps.stage2=2',
  '--set',
  'curriculum.steps.stage3=2',
];

describe('unir umap', () => {
  it('maps a real smoke run: exports the test embeddings, prints trustworthiness and alignment, writes a page Chromium draws', async () => {
    const run = unir(['run', 'smoke', '--out', tmp, '--run-id', 's', ...TINY]);
    expect(run.code).toBe(0);
    const dir = join(tmp, 's');
    const out = join(tmp, 'map.html');
    const r = unir(['umap', dir, '--out', out]);
    expect(r.stderr.split('\n').filter((l) => /error|warn/i.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    const trust = Number(/trustworthiness@10: (\d\.\d{4})/.exec(r.stdout)?.[1]);
    const align = /alignment: (-?\d\.\d{4}) \(translations (-?\d\.\d{4}) vs random (-?\d\.\d{4}), (\d+) pairs\)/.exec(
      r.stdout,
    );
    expect(trust).toBeLessThanOrEqual(1);
    expect(align).not.toBeNull();
    expect(Number(align![1])).toBeCloseTo(Number(align![2]) - Number(align![3]), 3);
    expect(r.stderr).toMatch(/umap: optimize 100%/);

    // The exported set: images + texts in the run's three languages; the page's number is the one printed.
    const set = readEmbeddings(dir, 'test');
    const langs = new Set(set.lang.filter((l, i) => set.kind[i] === 'text'));
    expect([...langs].sort()).toEqual(['de', 'en', 'ja']);
    expect(set.kind.filter((k) => k === 'image').length).toBeGreaterThan(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`<b id="trust">${trust.toFixed(4)}</b>`);
    expect(html).toContain('data:image/png;base64,');
    const page = await openInChromium(out, join(tmp, 'map.png'));
    expect(page.consoleErrors).toEqual([]);
    expect(page.chartDivs).toBe(2);
    expect(page.charts).toBe(2);

    // Identity map: trustworthiness of the high-dim points against themselves is exactly 1.
    const pts = { n: set.ids.length, dim: set.dim, data: set.vectors };
    expect(trustworthiness(pts, pts, 10)).toBeCloseTo(1, 10);

    // The printed number against what a map that ignores the data scores: random 2-D layouts of the points the
    // page shows (images and texts) score ≈ 0.5 (0.49–0.53 over 20 seeds); UMAP of this 8-step run ≈ 0.92.
    const shown = set.kind.map((k, i) => (k === 'query' ? -1 : i)).filter((i) => i >= 0);
    expect(Number(/\((\d+) points\)/.exec(r.stdout)?.[1])).toBe(shown.length);
    const high = {
      n: shown.length,
      dim: set.dim,
      data: Float32Array.from(shown.flatMap((i) => Array.from(set.vectors.subarray(i * set.dim, (i + 1) * set.dim)))),
    };
    const random = [1, 2, 3, 4, 5].map((seed) =>
      trustworthiness(high, { n: shown.length, dim: 2, data: rand(seed, shown.length * 2) }, 10),
    );
    expect(Math.max(...random)).toBeLessThan(0.6);
    expect(trust).toBeGreaterThan(Math.max(...random) + 0.2);
  }, 600_000);

  it('a directory that is not a run is one line naming it', () => {
    const r = unir(['umap', join(tmp, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `unir: ${join(tmp, 'nope')}: not a run directory (no config.json); give a directory 'unir run' created, e.g. runs/<runId>\n`,
    );
  });
});

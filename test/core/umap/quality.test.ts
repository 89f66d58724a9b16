import { describe, expect, it } from 'vitest';
import { alignmentScore, trustworthiness, type Points } from '../../../src/core/umap/quality';
import { umapProject } from '../../../src/core/umap/project';
import { rng } from '../../helpers/fake-run';

function randomPoints(n: number, dim: number, seed: number): Points {
  const r = rng(seed);
  return { n, dim, data: Float64Array.from({ length: n * dim }, () => r() * 2 - 1) };
}

/** Independent oracle: ranks by counting (not sorting), straight from the definition. */
function bruteTrust(h: Points, l: Points, k: number): number {
  const d = (p: Points, i: number, j: number) => {
    let s = 0;
    for (let c = 0; c < p.dim; c++) s += (p.data[i * p.dim + c]! - p.data[j * p.dim + c]!) ** 2;
    return s;
  };
  const rankOf = (p: Points, i: number, j: number) => {
    let r = 1;
    for (let m = 0; m < p.n; m++) {
      if (m === i || m === j) continue;
      if (d(p, i, m) < d(p, i, j) || (d(p, i, m) === d(p, i, j) && m < j)) r++;
    }
    return r;
  };
  const n = h.n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      if (rankOf(l, i, j) <= k && rankOf(h, i, j) > k) sum += rankOf(h, i, j) - k;
    }
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * sum;
}

describe('trustworthiness', () => {
  it('is 1 for a map that keeps every neighbourhood', () => {
    const p = randomPoints(40, 3, 1);
    expect(trustworthiness(p, p, 5)).toBe(1);
  });

  it.each([1, 2, 3])('equals the brute-force definition on random maps (seed %i), ties included', (seed) => {
    const h = randomPoints(30, 6, seed);
    const l = randomPoints(30, 2, seed + 100);
    // Ties: quantise the low-dim map so many distances coincide.
    l.data = l.data.map((x) => Math.round(x * 2) / 2);
    expect(trustworthiness(h, l, 5)).toBeCloseTo(bruteTrust(h, l, 5), 12);
  });
});

describe('alignment score', () => {
  it('is clearly positive when translations share a direction, ~0 when groups are shuffled', () => {
    const r = rng(7);
    const groups: string[] = [];
    const langs: string[] = [];
    const dim = 16;
    const rows: number[] = [];
    for (let g = 0; g < 20; g++) {
      const base = Array.from({ length: dim }, () => r() * 2 - 1);
      for (const lang of ['en', 'de', 'ja']) {
        groups.push(`g${g}`);
        langs.push(lang);
        rows.push(...base.map((x) => x + (r() - 0.5) * 0.3));
      }
    }
    const p = { n: groups.length, dim, data: Float64Array.from(rows) };
    const a = alignmentScore(p, langs, groups, 1);
    expect(a.pairs).toBe(20 * 3);
    expect(a.translations).toBeGreaterThan(0.9);
    expect(Math.abs(a.random)).toBeLessThan(0.2);
    const shuffled = groups.map((_, i) => groups[(i * 7) % groups.length]!);
    expect(alignmentScore(p, langs, shuffled, 1).score).toBeLessThan(0.3);
  });
});

describe('umapProject', () => {
  it('maps well-separated clusters to a trustworthy 2-D and 3-D layout, deterministically', async () => {
    const r = rng(3);
    const dim = 12;
    const data: number[] = [];
    for (let c = 0; c < 4; c++) {
      const centre = Array.from({ length: dim }, () => (r() * 2 - 1) * 4);
      for (let i = 0; i < 30; i++) data.push(...centre.map((x) => x + (r() - 0.5)));
    }
    const p = { n: 120, dim, data: Float32Array.from(data) };
    const phases = new Set<string>();
    const a = await umapProject(p, { seed: 1, nEpochs: 150, onProgress: (x) => phases.add(x.phase) });
    const b = await umapProject(p, { seed: 1, nEpochs: 150 });
    expect(phases).toEqual(new Set(['knn', 'optimize']));
    expect(a.dim).toBe(2);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(trustworthiness(p, a, 10)).toBeGreaterThan(0.9);
    const c3 = await umapProject(p, { seed: 1, nEpochs: 100, nComponents: 3 });
    expect(c3.data.length).toBe(360);
    expect(trustworthiness(p, c3, 10)).toBeGreaterThan(0.9);
  });
});

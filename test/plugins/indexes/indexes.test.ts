import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexContext, IndexItem, VectorIndex } from '../../../src/core/index/vector-index';
import { exact } from '../../../src/plugins/indexes/exact';
import { ivf } from '../../../src/plugins/indexes/ivf';
import { lancedbIndex } from '../../../src/plugins/indexes/lancedb';
import { rng } from '../../helpers/fake-run';

const tmp = mkdtempSync(join(tmpdir(), 'unir-index-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const DIM = 16;
function corpus(n: number, seed: number) {
  const r = rng(seed);
  const items: IndexItem[] = [];
  const vectors = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < DIM; d++) norm += (vectors[i * DIM + d] = r() * 2 - 1) ** 2;
    for (let d = 0; d < DIM; d++) vectors[i * DIM + d]! /= Math.sqrt(norm);
    items.push(
      i % 3 === 0
        ? { id: `img${i}`, modality: 'image', group: `g${i % 50}`, path: `images/${i}.png` }
        : { id: `txt${i}`, modality: 'text', group: `g${i % 50}`, lang: ['en', 'de', 'ja'][i % 3]!, text: `text ${i}` },
    );
  }
  return { items, vectors };
}

/** Plain loops: the oracle for both indexes. */
function brute(
  items: IndexItem[],
  vectors: Float32Array,
  q: Float32Array,
  k: number,
  f?: { modality?: string; lang?: string },
) {
  return items
    .map((it, i) => ({ it, s: Array.from(q).reduce((a, x, d) => a + x * vectors[i * DIM + d]!, 0), i }))
    .filter(({ it }) => (!f?.modality || it.modality === f.modality) && (!f?.lang || it.lang === f.lang))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, k);
}

const ctx = (name: string, extra: Partial<IndexContext> = {}): IndexContext => ({
  dir: join(tmp, name),
  dim: DIM,
  runId: 'run-a',
  model: 'm1',
  ...extra,
});
const queries = (n: number, seed: number) => corpus(n, seed).vectors;
type PluginLike = { create(cfg: unknown, ctx: IndexContext): Promise<VectorIndex> };

describe.each([
  ['exact', () => exact, {}],
  ['ivf', () => ivf, {}], // 600 rows: below annAbove, exact
  ['lancedb', () => lancedbIndex, {}],
] as const)('%s index', (name, plugin, cfg) => {
  const { items, vectors } = corpus(600, 1);
  let index: VectorIndex;

  it('returns the brute-force top-k with scores, with modality and language filters', async () => {
    index = await (plugin() as PluginLike).create(plugin().configSchema.parse(cfg), ctx(name));
    await index.add(items.slice(0, 300), vectors.subarray(0, 300 * DIM));
    await index.add(items.slice(300), vectors.subarray(300 * DIM));
    expect(index.meta.count).toBe(600);
    const qs = queries(5, 9);
    for (const f of [undefined, { modality: 'image' as const }, { modality: 'text' as const, lang: 'ja' }]) {
      for (let j = 0; j < 5; j++) {
        const q = qs.subarray(j * DIM, (j + 1) * DIM);
        const got = await index.search(q, 10, f);
        const want = brute(items, vectors, q, 10, f);
        expect(got.map((h) => h.item.id)).toEqual(want.map((w) => w.it.id));
        got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.s, 5));
      }
    }
    const hit = (await index.search(vectors.subarray(3 * DIM, 4 * DIM), 1))[0]!;
    expect(hit.item).toEqual(items[3]);
  });

  it('persists and reopens in a new process with the same answers', async () => {
    await index.persist();
    const q = queries(1, 11);
    const want = (await index.search(q, 5)).map((h) => h.item.id);
    await index.dispose();
    mkdirSync('.cache', { recursive: true });
    const script = join(process.cwd(), '.cache', `reopen-${name}-${process.pid}.ts`);
    writeFileSync(
      script,
      `import * as tf from '@tensorflow/tfjs-core'; import '@tensorflow/tfjs-backend-cpu';
import { ${name === 'lancedb' ? 'lancedbIndex' : name} as p } from '${process.cwd()}/src/plugins/indexes/${name}';
async function main() { await tf.setBackend('cpu');
const ix = await p.create(p.configSchema.parse({}), ${JSON.stringify(ctx(name))});
const hits = await ix.search(Float32Array.from(${JSON.stringify(Array.from(q))}), 5);
console.log(JSON.stringify({ count: ix.meta.count, ids: hits.map((h) => h.item.id) })); await ix.dispose(); }
main();`,
    );
    const out = execFileSync(process.execPath, ['bin/run-ts.mjs', script], { encoding: 'utf8' });
    rmSync(script);
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ count: 600, ids: want });
  });

  it('refuses an index built by another run or of another dimension', async () => {
    await expect(
      (plugin() as PluginLike).create(plugin().configSchema.parse(cfg), ctx(name, { runId: 'run-b' })),
    ).rejects.toThrowError(
      `${join(tmp, name, 'index.json')}: index was built by run 'run-a' (dim 16), but the query model is run 'run-b' (dim 16); rebuild it with 'unir index the run you search'`,
    );
    await expect(
      (plugin() as PluginLike).create(plugin().configSchema.parse(cfg), ctx(name, { dim: 32 })),
    ).rejects.toThrowError(/dim 16\), but the query model is run 'run-a' \(dim 32\)/);
  });
});

describe('lancedb ANN path', () => {
  it('IVF-PQ with refinement keeps recall@10 ≥ 0.95 against exact search', async () => {
    const { items, vectors } = corpus(3000, 2);
    const ix = await lancedbIndex.create(lancedbIndex.configSchema.parse({ annAbove: 1000 }), ctx('ann'));
    await ix.add(items, vectors);
    await ix.persist();
    const qs = queries(20, 5);
    let hit = 0;
    for (let j = 0; j < 20; j++) {
      const q = qs.subarray(j * DIM, (j + 1) * DIM);
      const want = new Set(brute(items, vectors, q, 10).map((w) => w.it.id));
      for (const h of await ix.search(q, 10)) if (want.has(h.item.id)) hit++;
    }
    await ix.dispose();
    expect(hit / 200).toBeGreaterThanOrEqual(0.95);
  });
});

describe('exact index on wasm (rows resident on the heap, scored by the SIMD kernel on 2 threads)', () => {
  it('returns the brute-force top-k with and without filters, also after more rows are added', async () => {
    const { initBackend, disposeBackend } = await import('../../../src/core/backend');
    await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    try {
      const before = tf.memory().numTensors;
      const { items, vectors } = corpus(40_000, 3); // ≥ 16,384 rows: split across the threads
      const index = await exact.create({}, ctx('exact-wasm'));
      await index.add(items.slice(0, 30_000), vectors.subarray(0, 30_000 * DIM));
      const qs = queries(3, 13);
      const check = async (n: number) => {
        for (const f of [undefined, { modality: 'image' as const }, { modality: 'text' as const, lang: 'de' }]) {
          for (let j = 0; j < 3; j++) {
            const q = qs.subarray(j * DIM, (j + 1) * DIM);
            const got = await index.search(q, 10, f);
            const want = brute(items.slice(0, n), vectors.subarray(0, n * DIM), q, 10, f);
            expect(got.map((h) => h.item.id)).toEqual(want.map((w) => w.it.id));
            got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.s, 5));
          }
        }
      };
      await check(30_000);
      await index.add(items.slice(30_000), vectors.subarray(30_000 * DIM)); // the resident rows and filters are rebuilt
      await check(40_000);
      expect(tf.memory().numTensors).toBe(before + 1); // the resident rows, owned by the index
      await index.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      await disposeBackend();
      await tf.setBackend('cpu');
    }
  });
});

describe('ivf index above annAbove (k-means lists, probes tuned at build time)', () => {
  /** Clustered unit vectors (concepts with variants, like real embeddings), n × DIM. */
  function clustered(n: number, seed: number) {
    const r = rng(seed);
    const centres = Array.from({ length: 64 }, () => Float32Array.from({ length: DIM }, () => r() * 2 - 1));
    const vectors = new Float32Array(n * DIM);
    for (let i = 0; i < n; i++) {
      const c = centres[Math.floor(r() * centres.length)]!;
      let norm = 0;
      for (let d = 0; d < DIM; d++) norm += (vectors[i * DIM + d] = c[d]! + (r() - 0.5) * 0.8) ** 2;
      for (let d = 0; d < DIM; d++) vectors[i * DIM + d]! /= Math.sqrt(norm);
    }
    return vectors;
  }

  it('reaches its target recall@10 on new queries while scanning a fraction of the lists; persists, reopens, filters, re-clusters after add', async () => {
    const n = 12_000;
    const vectors = clustered(n, 5);
    const items = corpus(n, 6).items; // modalities and languages for the filters
    const cfg = ivf.configSchema.parse({ annAbove: 5000, rowsPerList: 100, targetRecall: 0.95 });
    const index = await ivf.create(cfg, ctx('ivf-big'));
    await index.add(items, vectors);
    await index.persist(); // builds
    const info = index.info!();
    expect(info).toMatchObject({ clustered: true, rows: n, lists: 120 });
    expect(info.tuningRecallAt10 as number).toBeGreaterThanOrEqual(0.95);
    expect(info.nprobe as number).toBeLessThan(60); // it prunes: fewer than half of the lists per query
    const qs = clustered(40, 77); // new vectors from the same distribution, not stored rows
    const recall = async (ix: VectorIndex, f?: { modality?: 'image' | 'text' }) => {
      let hit = 0;
      for (let j = 0; j < 40; j++) {
        const q = qs.subarray(j * DIM, (j + 1) * DIM);
        const got = await ix.search(q, 10, f);
        expect(got).toHaveLength(10);
        if (f) expect(got.every((h) => h.item.modality === f.modality)).toBe(true);
        const want = new Set(brute(items, vectors, q, 10, f).map((w) => w.it.id));
        hit += got.filter((h) => want.has(h.item.id)).length;
        got.forEach((h, i) => i > 0 && expect(h.score).toBeLessThanOrEqual(got[i - 1]!.score));
      }
      return hit / 400;
    };
    const r = await recall(index);
    expect(r).toBeGreaterThanOrEqual(0.9); // target 0.95 on stored rows; new queries within sampling noise of it
    expect(await recall(index, { modality: 'image' })).toBeGreaterThanOrEqual(0.85);
    const first = await index.search(qs.subarray(0, DIM), 10);
    await index.dispose();
    const reopened = await ivf.create(cfg, ctx('ivf-big'));
    expect(reopened.info!()).toEqual(info); // the saved lists, not a new clustering
    expect(await reopened.search(qs.subarray(0, DIM), 10)).toEqual(first);
    await reopened.add(corpus(10, 8).items, clustered(10, 8));
    expect(reopened.info!()).toEqual({ clustered: false, rows: n + 10 }); // dropped until the next search
    await reopened.search(qs.subarray(0, DIM), 10);
    expect(reopened.info!()).toMatchObject({ clustered: true, rows: n + 10 });
    await reopened.dispose();
  });
});

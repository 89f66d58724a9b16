import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexContext, IndexItem, VectorIndex } from '../../../src/core/index/vector-index';
import { exact } from '../../../src/plugins/indexes/exact';
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
import { ${name === 'exact' ? 'exact as p' : 'lancedbIndex as p'} } from '${process.cwd()}/src/plugins/indexes/${name}';
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

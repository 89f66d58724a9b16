// Query latency p50/p95 of the exact, ivf and LanceDB indexes at 2k, 20k and 200k vectors (synthetic, dim 128),
// the ANN indexes' recall@10 against exact search and their build times (add + persist), beside the numpy reference (one matrix-vector product +
// argpartition, bench/numpy-search-reference.py, same thread count, OPENBLAS_CORETYPE/L2_SIZE unset as for torch).
// Run: node bin/run-ts.mjs bench/index-latency.ts [--json]   (UNIR_BENCH_SIZES=2000,20000 for fewer sizes)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/core/backend';
import type { IndexItem, VectorIndex } from '../src/core/index/vector-index';
import { exact } from '../src/plugins/indexes/exact';
import { ivf } from '../src/plugins/indexes/ivf';
import { lancedbIndex } from '../src/plugins/indexes/lancedb';
import { mulberry32 } from '../src/core/rng';
import { machine, machineLine } from './lib/machine';
import { runPython } from './lib/python';
import { formatTable } from './lib/table';

const DIM = 128;
const json = process.argv.includes('--json');
const sizes = (process.env.UNIR_BENCH_SIZES ?? '2000,20000,200000').split(',').map(Number);
const QUERIES = 50;

/** Clustered unit vectors (like real embeddings: concepts with variants), n × DIM. */
function vectors(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const centres = Array.from({ length: 256 }, () => Float32Array.from({ length: DIM }, () => r() * 2 - 1));
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * centres.length)]!;
    let norm = 0;
    for (let d = 0; d < DIM; d++) norm += (out[i * DIM + d] = c[d]! + (r() - 0.5) * 0.8) ** 2;
    for (let d = 0; d < DIM; d++) out[i * DIM + d]! /= Math.sqrt(norm);
  }
  return out;
}

const pct = (xs: number[], p: number) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function timeQueries(ix: VectorIndex, qs: Float32Array) {
  const ms: number[] = [];
  const ids: string[][] = [];
  for (let j = 0; j < QUERIES; j++) {
    const t0 = performance.now();
    const hits = await ix.search(qs.subarray(j * DIM, (j + 1) * DIM), 10);
    ms.push(performance.now() - t0);
    ids.push(hits.map((h) => h.item.id));
  }
  return { p50: pct(ms, 50), p95: pct(ms, 95), ids };
}

interface NumpyResult {
  p50ms: number;
  p95ms: number;
  numpy: string;
  blas: { coreType?: string; config?: string };
}

/** numpy's exact search at n × DIM on `threads` BLAS threads, or undefined (with the reason on stderr). */
function numpySearch(n: number, threads: number): NumpyResult | undefined {
  const r = runPython(
    new URL('numpy-search-reference.py', import.meta.url).pathname,
    ['--n', String(n), '--dim', String(DIM), '--queries', String(QUERIES)],
    threads,
    true,
  );
  const last = r.stdout?.trim().split('\n').at(-1) ?? '';
  if (r.status === 0 && last.startsWith('{')) return JSON.parse(last) as NumpyResult;
  console.error(`numpy reference failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').at(-1)}`);
  return undefined;
}

const backend = await initBackend({ quiet: true });
const rows: Record<string, unknown>[] = [];
for (const n of sizes) {
  const data = vectors(n, n);
  const items: IndexItem[] = Array.from({ length: n }, (_, i) => ({
    id: String(i),
    modality: i % 4 === 0 ? 'image' : 'text',
    group: String(i % 1000),
    lang: 'en',
  }));
  const qs = vectors(QUERIES, 7 + n);
  const dir = mkdtempSync(join(tmpdir(), 'unir-bench-index-'));
  const ctx = { dim: DIM, runId: 'bench', model: 'synthetic' };
  const ex = await exact.create(exact.configSchema.parse({}), { ...ctx, dir: join(dir, 'exact') });
  await ex.add(items, data);
  const e = await timeQueries(ex, qs);
  const recallOf = (ids: string[][]) => {
    let hit = 0;
    e.ids.forEach((want, j) => (hit += ids[j]!.filter((id) => want.includes(id)).length));
    return hit / (10 * QUERIES);
  };
  const i0 = performance.now();
  const iv = await ivf.create(ivf.configSchema.parse({}), { ...ctx, dir: join(dir, 'ivf') });
  await iv.add(items, data);
  await iv.persist();
  const ivfBuildS = (performance.now() - i0) / 1000;
  const ivfInfo = iv.info!();
  const i = await timeQueries(iv, qs);
  const t0 = performance.now();
  const lx = await lancedbIndex.create(lancedbIndex.configSchema.parse({}), { ...ctx, dir: join(dir, 'lance') });
  await lx.add(items, data);
  await lx.persist();
  const buildS = (performance.now() - t0) / 1000;
  const l = await timeQueries(lx, qs);
  const np = numpySearch(n, backend.threads);
  const row = {
    vectors: n,
    dim: DIM,
    backend: backend.name,
    threads: backend.threads,
    exactP50ms: e.p50,
    exactP95ms: e.p95,
    numpyP50ms: np?.p50ms ?? null,
    exactVsNumpy: np ? e.p50 / np.p50ms : null,
    ivfP50ms: i.p50,
    ivfP95ms: i.p95,
    ivfRecallAt10: recallOf(i.ids),
    ivfAnn: ivfInfo.clustered,
    ivfLists: ivfInfo.lists ?? null,
    ivfNprobe: ivfInfo.nprobe ?? null,
    ivfBuildS,
    lancedbP50ms: l.p50,
    lancedbP95ms: l.p95,
    lancedbRecallAt10: recallOf(l.ids),
    lancedbAnn: n >= 10000,
    lancedbBuildS: buildS,
    machine: machine(),
    numpy: np
      ? `${np.numpy}, ${np.blas.config?.split(' ').slice(0, 2).join(' ') ?? 'BLAS ?'} core ${np.blas.coreType ?? '?'}`
      : null,
  };
  rows.push(row);
  await ex.dispose();
  await iv.dispose();
  await lx.dispose();
  rmSync(dir, { recursive: true, force: true });
  if (json) console.log(JSON.stringify(row));
}
if (!json) {
  console.log(`machine: ${machineLine()}`);
  console.log(
    `index latency, ${QUERIES} queries, top-10, dim ${DIM}, backend ${backend.name} (${backend.threads} threads); numpy ${rows[0]?.numpy ?? 'not run'}`,
  );
  const f = (x: unknown) => (typeof x === 'number' ? x.toFixed(2) : '-');
  const table = rows.map((r): (string | number)[] => [
    r.vectors as number,
    `${f(r.exactP50ms)} / ${f(r.exactP95ms)}`,
    f(r.numpyP50ms),
    f(r.exactVsNumpy),
    `${f(r.ivfP50ms)} / ${f(r.ivfP95ms)}`,
    f(r.ivfRecallAt10),
    r.ivfAnn ? `yes (${r.ivfNprobe}/${r.ivfLists})` : 'no',
    f(r.ivfBuildS),
    `${f(r.lancedbP50ms)} / ${f(r.lancedbP95ms)}`,
    f(r.lancedbRecallAt10),
    r.lancedbAnn ? 'yes' : 'no',
    f(r.lancedbBuildS),
  ]);
  console.log(
    formatTable(
      [
        'vectors',
        'exact p50/p95 ms',
        'numpy p50 ms',
        'exact/numpy',
        'ivf p50/p95 ms',
        'ivf recall@10',
        'ivf ANN (probes/lists)',
        'ivf build s',
        'lancedb p50/p95 ms',
        'lancedb recall@10',
        'lancedb ANN',
        'lancedb build s',
      ],
      table,
    ),
  );
}

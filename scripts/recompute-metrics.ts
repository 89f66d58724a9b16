// Recomputes Recall@1/5/10 from ONLY a run's exported embeddings (embeddings/<split>.json + .f32), by brute
// force: every query against every candidate, a full sort, ties pessimistic (an irrelevant item scoring the
// same as the best relevant one ranks above it). Shares no code with src/: an independent check of the
// metric plugin (docs/metrics-json.md).
//
//   node bin/run-ts.mjs scripts/recompute-metrics.ts <runDir> [split=test] [--t2t-from query|caption]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Row {
  id: string;
  kind: 'image' | 'text' | 'query';
  lang: string | null;
  group: string | null;
  role: 'caption' | 'chunk' | null;
}

const args = process.argv.slice(2);
const fromAt = args.indexOf('--t2t-from');
const t2tFrom = fromAt >= 0 ? args.splice(fromAt, 2)[1] : 'query';
const [runDir, split = 'test'] = args;
if (!runDir || (t2tFrom !== 'query' && t2tFrom !== 'caption')) {
  console.error('usage: node bin/run-ts.mjs scripts/recompute-metrics.ts <runDir> [split] [--t2t-from query|caption]');
  process.exit(2);
}

const index = JSON.parse(readFileSync(join(runDir, 'embeddings', `${split}.json`), 'utf8')) as {
  dim: number;
  count: number;
  rows: Row[];
};
const bytes = readFileSync(join(runDir, 'embeddings', `${split}.f32`));
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const { dim, rows } = index;
const vec = (i: number) => Array.from({ length: dim }, (_, d) => view.getFloat32((i * dim + d) * 4, true));
const vectors = rows.map((_, i) => vec(i));
const score = (a: number, b: number) => {
  let s = 0;
  for (let d = 0; d < dim; d++) s += vectors[a]![d]! * vectors[b]![d]!;
  return Number.isNaN(s) ? -Infinity : s;
};

/** 1-based rank of the first relevant candidate, or 0 if none is relevant. */
function rank(q: number, candidates: number[]): number {
  const relevant = (j: number) => rows[j]!.group !== null && rows[j]!.group === rows[q]!.group;
  if (rows[q]!.group === null || !candidates.some(relevant)) return 0;
  const sorted = [...candidates].sort((x, y) => score(q, y) - score(q, x) || Number(relevant(x)) - Number(relevant(y)));
  return sorted.findIndex(relevant) + 1;
}

const all = rows.map((_, i) => i);
const is = (kind: Row['kind'], role: Row['role'] = null) =>
  all.filter((i) => rows[i]!.kind === kind && (role === null || rows[i]!.role === role));
const images = is('image');
const captions = is('text', 'caption');
const chunks = is('text', 'chunk');
const askers = t2tFrom === 'query' ? is('query') : captions;

type Recall = { 'R@1': number; 'R@5': number; 'R@10': number };
function table(pairs: { lang: string; rank: number }[]): Record<string, Recall> {
  const by: Record<string, number[]> = {};
  for (const p of pairs) if (p.rank > 0) (by[p.lang] ??= []).push(p.rank);
  const out: Record<string, Recall> = {};
  for (const lang of Object.keys(by).sort()) {
    const rs = by[lang]!;
    out[lang] = {
      'R@1': rs.filter((r) => r <= 1).length / rs.length,
      'R@5': rs.filter((r) => r <= 5).length / rs.length,
      'R@10': rs.filter((r) => r <= 10).length / rs.length,
    };
  }
  const langs = Object.keys(out);
  if (langs.length) {
    const mean = (k: keyof Recall) => langs.reduce((a, l) => a + out[l]![k], 0) / langs.length;
    out.mean = { 'R@1': mean('R@1'), 'R@5': mean('R@5'), 'R@10': mean('R@10') };
  }
  return out;
}

const langsOf = (list: number[]) => [...new Set(list.map((i) => rows[i]!.lang!))];
const result = {
  t2i: table(captions.map((q) => ({ lang: rows[q]!.lang!, rank: rank(q, images) }))),
  i2t: table(
    langsOf(captions).flatMap((l) =>
      images.map((q) => ({
        lang: l,
        rank: rank(
          q,
          captions.filter((j) => rows[j]!.lang === l),
        ),
      })),
    ),
  ),
  t2t: table(
    askers.map((q) => ({
      lang: rows[q]!.lang!,
      rank: rank(
        q,
        chunks.filter((j) => rows[j]!.lang === rows[q]!.lang),
      ),
    })),
  ),
};
console.log(JSON.stringify(result, null, 2));

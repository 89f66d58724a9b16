// Brute-force retrieval oracle for the tests: float64 dot products, a full sort per query, the
// pessimistic tie rule written as a sort key. Shares no code with src/core/eval.
import type { EmbeddingSet } from '../../../src/core/eval/embeddings';

type Scores = { 'R@1': number; 'R@5': number; 'R@10': number; medianRank: number; mrr: number; n: number };

function dot(set: EmbeddingSet, dim: number, a: number, other: EmbeddingSet, b: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += set.vectors[a * dim + d]! * other.vectors[b * dim + d]!;
  return Number.isNaN(s) ? -Infinity : s;
}

/** 1-based position of the first relevant item after sorting by score desc, irrelevant first among equals. */
export function bruteRank(scores: number[], relevant: boolean[]): number {
  const order = scores
    .map((s, j) => j)
    .sort((x, y) => scores[y]! - scores[x]! || Number(relevant[x]) - Number(relevant[y]) || x - y);
  return order.findIndex((j) => relevant[j]) + 1;
}

export function bruteSummary(ranks: number[]): Scores {
  const sorted = [...ranks].sort((a, b) => a - b);
  const n = ranks.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  let mrr = 0;
  for (const r of ranks) mrr += 1 / r;
  return {
    'R@1': ranks.filter((r) => r < 2).length / n,
    'R@5': ranks.filter((r) => r < 6).length / n,
    'R@10': ranks.filter((r) => r < 11).length / n,
    medianRank: median,
    mrr: mrr / n,
    n,
  };
}

function withMean(byLang: Record<string, number[]>): Record<string, Scores> | undefined {
  const langs = Object.keys(byLang).filter((l) => byLang[l]!.length > 0);
  if (!langs.length) return undefined;
  const out: Record<string, Scores> = {};
  for (const l of langs) out[l] = bruteSummary(byLang[l]!);
  const keys = ['R@1', 'R@5', 'R@10', 'medianRank', 'mrr'] as const;
  const mean = { n: langs.reduce((a, l) => a + out[l]!.n, 0) } as Scores;
  for (const k of keys) mean[k] = langs.reduce((a, l) => a + out[l]![k], 0) / langs.length;
  out.mean = mean;
  return out;
}

/**
 * For every query row in `qs` and every language bucket of the candidate items, the rank of the first
 * relevant item (skipping queries without a group or without any relevant candidate).
 */
function ranksFor(
  q: EmbeddingSet,
  qs: number[],
  it: EmbeddingSet,
  items: number[],
  dim: number,
  itemBucket: (j: number) => string,
) {
  const out: { q: number; bucket: string; rank: number }[] = [];
  for (const a of qs) {
    if (q.group[a] === null) continue;
    const buckets = [...new Set(items.map(itemBucket))];
    for (const b of buckets) {
      const cand = items.filter((j) => itemBucket(j) === b);
      const rel = cand.map((j) => it.group[j] === q.group[a]);
      if (!rel.some(Boolean)) continue;
      out.push({
        q: a,
        bucket: b,
        rank: bruteRank(
          cand.map((j) => dot(q, dim, a, it, j)),
          rel,
        ),
      });
    }
  }
  return out;
}

export function bruteRetrieval(
  set: EmbeddingSet,
  dim: number,
  tasks: string[],
  t2tFrom: 'query' | 'caption',
  plain?: EmbeddingSet,
) {
  const idx = (f: (i: number) => boolean) => set.ids.map((_, i) => i).filter(f);
  const images = idx((i) => set.kind[i] === 'image');
  const captions = idx((i) => set.kind[i] === 'text' && set.role?.[i] === 'caption');
  const chunks = idx((i) => set.kind[i] === 'text' && set.role?.[i] === 'chunk');
  const queries = idx((i) => set.kind[i] === 'query');
  const group = <T>(
    rows: { q: number; bucket: string; rank: number }[],
    key: (r: { q: number; bucket: string }) => string,
  ) => {
    const m: Record<string, number[]> = {};
    for (const r of rows) (m[key(r)] ??= []).push(r.rank);
    return m;
  };
  const retrieval: Record<string, Record<string, Scores>> = {};
  let t2tCross: Record<string, Record<string, Scores>> | undefined;
  const nluContribution: Record<string, unknown> = {};
  const put = (k: string, v: Record<string, Scores> | undefined) => v && (retrieval[k] = v);
  if (tasks.includes('t2i'))
    put(
      't2i',
      withMean(
        group(
          ranksFor(set, captions, set, images, dim, () => '*'),
          (r) => set.lang[r.q]!,
        ),
      ),
    );
  if (tasks.includes('i2t'))
    put(
      'i2t',
      withMean(
        group(
          ranksFor(set, images, set, captions, dim, (j) => set.lang[j]!),
          (r) => r.bucket,
        ),
      ),
    );
  const asking = t2tFrom === 'query' ? queries : captions;
  if (tasks.includes('t2t')) {
    const rows = ranksFor(set, asking, set, chunks, dim, (j) => set.lang[j]!);
    put(
      't2t',
      withMean(
        group(
          rows.filter((r) => r.bucket === set.lang[r.q]),
          (r) => r.bucket,
        ),
      ),
    );
    const m: Record<string, Record<string, Scores>> = {};
    for (const [key, ranks] of Object.entries(group(rows, (r) => `${set.lang[r.q]}|${r.bucket}`))) {
      const [x, y] = key.split('|') as [string, string];
      (m[x] ??= {})[y] = bruteSummary(ranks);
    }
    if (Object.keys(m).length) t2tCross = m;
  }
  if (tasks.includes('q2i'))
    put(
      'q2i',
      withMean(
        group(
          ranksFor(set, queries, set, images, dim, () => '*'),
          (r) => set.lang[r.q]!,
        ),
      ),
    );
  if (plain) {
    // the plain set holds only query rows, in the order of `queries`; groups/langs from the main set
    const view: EmbeddingSet = {
      ...plain,
      group: queries.map((r) => set.group[r]!),
      lang: queries.map((r) => set.lang[r]!),
    };
    const qrows = queries.map((_, k) => k);
    const contrib = (
      task: string,
      rows: { q: number; bucket: string; rank: number }[],
      key: (r: { q: number; bucket: string }) => string,
    ) => {
      const w = retrieval[task];
      const wo = withMean(group(rows, key));
      if (!w || !wo) return;
      const delta: Record<string, Record<string, number>> = {};
      for (const l of Object.keys(w))
        if (wo[l])
          delta[l] = Object.fromEntries(
            ['R@1', 'R@5', 'R@10', 'medianRank', 'mrr'].map((k) => [k, w[l]![k as 'mrr'] - wo[l]![k as 'mrr']]),
          );
      nluContribution[task] = { withNlu: w, withoutNlu: wo, delta };
    };
    if (tasks.includes('t2t') && t2tFrom === 'query') {
      contrib(
        't2t',
        ranksFor(view, qrows, set, chunks, dim, (j) => set.lang[j]!).filter((r) => r.bucket === view.lang[r.q]),
        (r) => r.bucket,
      );
    }
    if (tasks.includes('q2i'))
      contrib(
        'q2i',
        ranksFor(view, qrows, set, images, dim, () => '*'),
        (r) => view.lang[r.q]!,
      );
  }
  return { retrieval, t2tCross, nluContribution: Object.keys(nluContribution).length ? nluContribution : undefined };
}

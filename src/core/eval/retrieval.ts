import { dimOf, gatherVectors, selectRows, type EmbeddingSet } from './embeddings';
import { firstRelevantRanks, macroMean, summariseRanks, RETRIEVAL_KEYS, type RetrievalScores } from './ranking';
import type { ScoreOptions } from './similarity';

/**
 * Retrieval tasks over one split (relevant = same non-null group):
 * - t2i: captions → images, per caption language;
 * - i2t: images → captions of language L, per L;
 * - t2t: queries in X → chunks in X, per X (same language); t2tCross: X → Y for every pair;
 * - q2i: NLU queries → images, per query language.
 * The t2t asking side is the NLU query rows (`t2tFrom: 'query'`) or the captions (`'caption'`).
 */
export type RetrievalTask = 't2i' | 'i2t' | 't2t' | 'q2i';
export const RETRIEVAL_TASKS: readonly RetrievalTask[] = ['t2i', 'i2t', 't2t', 'q2i'];

/** Scores by language, plus `mean` (macro mean over the languages). */
export type ByLang<T> = Record<string, T>;

export interface RetrievalOptions extends ScoreOptions {
  tasks?: readonly RetrievalTask[];
  t2tFrom?: 'query' | 'caption';
  /** Also compute the t2t language × language matrix. */
  crossLingual?: boolean;
  /** Only query rows of this subset (set.subset) ask in t2t and q2i; the other tasks are unchanged. */
  querySubset?: string;
}

export interface NluContribution {
  withNlu: ByLang<RetrievalScores>;
  withoutNlu: ByLang<RetrievalScores>;
  /** with − without, key by key (positive R@k / MRR and negative medianRank = the NLU path helps). */
  delta: ByLang<Omit<RetrievalScores, 'n'>>;
}

export interface RetrievalResult {
  retrieval: Partial<Record<RetrievalTask, ByLang<RetrievalScores>>>;
  /** t2tCross[queryLang][chunkLang]; the diagonal equals retrieval.t2t. */
  t2tCross?: Record<string, Record<string, RetrievalScores>>;
  nluContribution?: Partial<Record<'t2t' | 'q2i', NluContribution>>;
}

/** Interns strings to small ints (null → -1), shared by both sides so groups compare as numbers. */
class Interner {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];
  of(s: string | null | undefined): number {
    if (s === null || s === undefined) return -1;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(s, id);
      this.names.push(s);
    }
    return id;
  }
}

const withMean = (byLang: ByLang<RetrievalScores>): ByLang<RetrievalScores> | undefined => {
  const mean = macroMean(byLang);
  if (!mean) return undefined;
  const sorted = Object.fromEntries(
    Object.keys(byLang)
      .sort()
      .map((l) => [l, byLang[l]!]),
  );
  return { ...sorted, mean };
};

interface Side {
  rows: number[];
  set: EmbeddingSet;
}

/**
 * Ranks every query row against the item rows, bucketed by the item language when `itemLang`,
 * and summarises per (query language or '*', item language or '*'). `sameLanguage` (with qLang and itemLang): only
 * the cells where the two languages agree, each query scored against the items of its own language alone — the same
 * ranks as those cells of the full table (a rank counts items of its bucket only), for 1 / (languages) of the products.
 */
function rankTask(
  q: Side,
  it: Side,
  dim: number,
  groups: Interner,
  qLang: boolean,
  itemLang: boolean,
  opts: ScoreOptions,
  each?: (queryRow: number, itemLang: string, rank: number) => void,
  sameLanguage = false,
) {
  const cells = new Map<string, Map<string, number[]>>(); // query lang → item lang → ranks
  const add = (r: number, ql: string, il: string, rank: number) => {
    if (rank === 0) return;
    each?.(r, il, rank);
    let row = cells.get(ql);
    if (!row) cells.set(ql, (row = new Map()));
    let list = row.get(il);
    if (!list) row.set(il, (list = []));
    list.push(rank);
  };
  const ranksOf = (qRows: readonly number[], iRows: readonly number[], buckets: Int32Array, nBuckets: number) =>
    firstRelevantRanks(
      {
        vectors: gatherVectors(q.set, qRows, dim),
        groups: new Int32Array(qRows.map((r) => groups.of(q.set.group[r]))),
      },
      {
        vectors: gatherVectors(it.set, iRows, dim),
        groups: new Int32Array(iRows.map((r) => groups.of(it.set.group[r]))),
        buckets,
        nBuckets,
      },
      dim,
      opts,
    );
  if (sameLanguage && qLang && itemLang) {
    const byLang = (side: Side) => {
      const m = new Map<string, number[]>();
      for (const r of side.rows) {
        const l = side.set.lang[r] ?? '?';
        (m.get(l) ?? m.set(l, []).get(l)!).push(r);
      }
      return m;
    };
    const items = byLang(it);
    // query row → its rank among its language's items, read back in q.rows' order: the cells and `each` see the rows
    // in the full table's order (per-query outcomes keep their order)
    const rank = new Map<number, [lang: string, rank: number]>();
    for (const [l, qRows] of byLang(q)) {
      const iRows = items.get(l);
      if (!iRows) continue; // no item of that language: no cell
      const ranks = ranksOf(qRows, iRows, new Int32Array(iRows.length), 1);
      qRows.forEach((r, a) => rank.set(r, [l, ranks[a]!]));
    }
    for (const r of q.rows) {
      const x = rank.get(r);
      if (x) add(r, x[0], x[0], x[1]);
    }
  } else {
    const langs = new Interner();
    const buckets = new Int32Array(it.rows.map((r) => (itemLang ? langs.of(it.set.lang[r] ?? '?') : 0)));
    const nb = itemLang ? langs.names.length : 1;
    const ranks = ranksOf(q.rows, it.rows, buckets, nb);
    q.rows.forEach((r, a) => {
      const ql = qLang ? (q.set.lang[r] ?? '?') : '*';
      for (let b = 0; b < nb; b++) add(r, ql, itemLang ? langs.names[b]! : '*', ranks[a * nb + b]!);
    });
  }
  const out: Record<string, Record<string, RetrievalScores>> = {};
  for (const [ql, row] of cells) for (const [il, list] of row) (out[ql] ??= {})[il] = summariseRanks(list)!;
  return out;
}

/** Per-language scores of a task from rankTask's cells, keyed by the language that varies. */
function perLang(
  cells: Record<string, Record<string, RetrievalScores>>,
  by: 'query' | 'item' | 'diagonal',
): ByLang<RetrievalScores> {
  const out: ByLang<RetrievalScores> = {};
  for (const [ql, row] of Object.entries(cells)) {
    for (const [il, s] of Object.entries(row)) {
      if (by === 'query') out[ql] = s;
      else if (by === 'item') out[il] = s;
      else if (ql === il) out[ql] = s;
    }
  }
  return out;
}

/** The rows of a split by what they are: images, captions, chunks, queries. */
function sidesOf(set: EmbeddingSet): Record<'images' | 'captions' | 'chunks' | 'queries', Side> {
  const rows = (pred: (i: number) => boolean): Side => ({ rows: selectRows(set, pred), set });
  const role = (i: number) => set.role?.[i] ?? null;
  return {
    images: rows((i) => set.kind[i] === 'image'),
    captions: rows((i) => set.kind[i] === 'text' && role(i) === 'caption'),
    chunks: rows((i) => set.kind[i] === 'text' && role(i) === 'chunk'),
    queries: rows((i) => set.kind[i] === 'query'),
  };
}

/** All retrieval metrics of one split. `withoutNlu`: the same query rows embedded without the NLU path. */
export function retrievalMetrics(
  set: EmbeddingSet,
  opts: RetrievalOptions = {},
  withoutNlu?: EmbeddingSet,
): RetrievalResult {
  const dim = dimOf(set);
  const tasks = opts.tasks ?? ['t2i', 'i2t', 't2t'];
  const t2tFrom = opts.t2tFrom ?? 'query';
  const groups = new Interner();
  const { images, captions, chunks, queries: allQueries } = sidesOf(set);
  const inSubset = (r: number) => opts.querySubset === undefined || set.subset?.[r] === opts.querySubset;
  const queries: Side = { rows: allQueries.rows.filter(inSubset), set };
  const result: RetrievalResult = { retrieval: {} };
  const put = (task: RetrievalTask, byLang: ByLang<RetrievalScores>) => {
    const m = withMean(byLang);
    if (m) result.retrieval[task] = m;
  };

  if (tasks.includes('t2i')) put('t2i', perLang(rankTask(captions, images, dim, groups, true, false, opts), 'query'));
  if (tasks.includes('i2t')) put('i2t', perLang(rankTask(images, captions, dim, groups, false, true, opts), 'item'));
  if (tasks.includes('t2t')) {
    const cross = opts.crossLingual ?? true;
    const from = t2tFrom === 'query' ? queries : captions;
    const cells = rankTask(from, chunks, dim, groups, true, true, opts, undefined, !cross);
    put('t2t', perLang(cells, 'diagonal'));
    if (cross) {
      const langs = Object.keys(cells).sort();
      if (langs.length)
        result.t2tCross = Object.fromEntries(
          langs.map((x) => [
            x,
            Object.fromEntries(
              Object.keys(cells[x]!)
                .sort()
                .map((y) => [y, cells[x]![y]!]),
            ),
          ]),
        );
    }
  }
  if (tasks.includes('q2i')) put('q2i', perLang(rankTask(queries, images, dim, groups, true, false, opts), 'query'));

  if (withoutNlu) {
    const plain = alignedQueries(set, allQueries.rows, withoutNlu, dim, inSubset);
    const contrib: NonNullable<RetrievalResult['nluContribution']> = {};
    const compare = (task: 't2t' | 'q2i', items: Side, itemLang: boolean) => {
      const w = result.retrieval[task];
      const cells = rankTask(plain, items, dim, groups, true, itemLang, opts, undefined, itemLang);
      const wo = withMean(perLang(cells, itemLang ? 'diagonal' : 'query'));
      if (w && wo) contrib[task] = { withNlu: w, withoutNlu: wo, delta: deltaOf(w, wo) };
    };
    if (tasks.includes('t2t') && t2tFrom === 'query') compare('t2t', chunks, true);
    if (tasks.includes('q2i')) compare('q2i', images, false);
    if (Object.keys(contrib).length) result.nluContribution = contrib;
  }
  return result;
}

/** One query's first-relevant rank: t2i per caption, i2t per (image, caption language), t2t per query (own language). */
export interface QueryRank {
  id: string;
  lang: string;
  rank: number;
  /** t2t: the query's subset (set.subset), when the set has a subset column. */
  subset?: string | null;
}

/**
 * The first-relevant rank of every counted query of t2i, i2t and t2t (candidates and ties as in retrievalMetrics):
 * the per-query outcomes a paired bootstrap resamples. i2t rows carry the caption language they ranked.
 */
export function queryRanks(
  set: EmbeddingSet,
  opts: ScoreOptions & { t2tFrom?: 'query' | 'caption' } = {},
): Record<'t2i' | 'i2t' | 't2t', QueryRank[]> {
  const dim = dimOf(set);
  const groups = new Interner();
  const { images, captions, chunks, queries } = sidesOf(set);
  const out: Record<'t2i' | 'i2t' | 't2t', QueryRank[]> = { t2i: [], i2t: [], t2t: [] };
  rankTask(captions, images, dim, groups, true, false, opts, (r, _il, rank) =>
    out.t2i.push({ id: set.ids[r]!, lang: set.lang[r] ?? '?', rank }),
  );
  rankTask(images, captions, dim, groups, false, true, opts, (r, il, rank) =>
    out.i2t.push({ id: set.ids[r]!, lang: il, rank }),
  );
  rankTask(
    (opts.t2tFrom ?? 'query') === 'query' ? queries : captions,
    chunks,
    dim,
    groups,
    true,
    true,
    opts,
    (r, il, rank) => {
      if (il === (set.lang[r] ?? '?'))
        out.t2t.push({ id: set.ids[r]!, lang: il, rank, ...(set.subset ? { subset: set.subset[r] ?? null } : {}) });
    },
    true,
  );
  return out;
}

/** The no-NLU rows of the query rows that pass `keep`; `plain` must hold every query row of `set`, in order. */
function alignedQueries(
  set: EmbeddingSet,
  queryRows: number[],
  plain: EmbeddingSet,
  dim: number,
  keep: (row: number) => boolean,
): Side {
  const pdim = dimOf(plain, 'embeddings without NLU');
  const same =
    pdim === dim && plain.ids.length === queryRows.length && queryRows.every((r, k) => plain.ids[k] === set.ids[r]);
  if (!same)
    throw new Error(
      `retrieval: the no-NLU embeddings must hold the ${queryRows.length} query rows, in order, with dim ${dim}`,
    );
  const rows = queryRows.flatMap((r, k) => (keep(r) ? [k] : []));
  return {
    rows,
    set: {
      ...plain,
      group: queryRows.map((r) => set.group[r] ?? null),
      lang: queryRows.map((r) => set.lang[r] ?? null),
    },
  };
}

function deltaOf(w: ByLang<RetrievalScores>, wo: ByLang<RetrievalScores>): NluContribution['delta'] {
  const out: NluContribution['delta'] = {};
  for (const l of Object.keys(w)) {
    const b = wo[l];
    if (!b) continue;
    out[l] = Object.fromEntries(RETRIEVAL_KEYS.map((k) => [k, w[l]![k] - b[k]])) as Omit<RetrievalScores, 'n'>;
  }
  return out;
}

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic';
import type { EvalInputs } from './metric';
import { queryRanks } from './retrieval';
import type { ScoreOptions } from './similarity';
import { spanCounts } from './seqeval';
import { runFile } from '../run/layout';

/**
 * Per-query outcomes of one evaluated split, written at the end of a run as runs/<id>/outcomes/<split>.json: what a
 * paired bootstrap over test queries resamples (`unir results`). Arrays are aligned per task; ids are record ids
 * (i2t: the image id, one row per caption language it ranked). When the split's queries carry a `subset`, t2t and
 * nlu also have `subset` (null for a query without one), so a bootstrap can keep one subset's rows.
 */
export interface Outcomes {
  split: string;
  retrieval: Record<'t2i' | 'i2t', RankOutcomes> & { t2t: RankOutcomes & { subset?: (string | null)[] } };
  /** Intent right (1/0), exact match (1/0), and the query's slot spans: [correct, predicted, gold]. */
  nlu?: {
    id: string[];
    lang: string[];
    intentOk: number[];
    exact: number[];
    spans: [number, number, number][];
    subset?: (string | null)[];
  };
}

export interface RankOutcomes {
  id: string[];
  lang: string[];
  rank: number[];
}

/** `opts.engine`: 'tf' (default) scores on the active tfjs backend, 'js' in plain loops (no backend needed). */
export function queryOutcomes(inputs: EvalInputs, opts: ScoreOptions = {}): Outcomes {
  const empty = () => ({ id: [] as string[], lang: [] as string[], rank: [] as number[] });
  const retrieval: Outcomes['retrieval'] = { t2i: empty(), i2t: empty(), t2t: empty() };
  if (inputs.embeddings) {
    const ranks = queryRanks(inputs.embeddings, opts);
    for (const task of ['t2i', 'i2t', 't2t'] as const) {
      for (const r of ranks[task]) {
        retrieval[task].id.push(r.id);
        retrieval[task].lang.push(r.lang);
        retrieval[task].rank.push(r.rank);
      }
    }
    if (inputs.embeddings.subset) retrieval.t2t.subset = ranks.t2t.map((r) => r.subset ?? null);
  }
  const out: Outcomes = { split: inputs.split, retrieval };
  if (inputs.nlu?.length) {
    const n: NonNullable<Outcomes['nlu']> = { id: [], lang: [], intentOk: [], exact: [], spans: [] };
    inputs.nlu.forEach((ex, i) => {
      const c = spanCounts(ex.tags, ex.predTags);
      const ok = ex.intent === ex.predIntent;
      n.id.push(ex.id ?? String(i));
      n.lang.push(ex.lang);
      n.intentOk.push(+ok);
      n.exact.push(+(ok && c.correct === c.gold && c.correct === c.pred));
      n.spans.push([c.correct, c.pred, c.gold]);
    });
    if (inputs.nlu.some((ex) => ex.subset !== undefined)) n.subset = inputs.nlu.map((ex) => ex.subset ?? null);
    out.nlu = n;
  }
  return out;
}

export const outcomesPath = (runDir: string, split: string) => join(runFile(runDir, 'outcomes'), `${split}.json`);

export function writeOutcomes(runDir: string, o: Outcomes): void {
  mkdirSync(runFile(runDir, 'outcomes'), { recursive: true });
  writeFileAtomic(outcomesPath(runDir, o.split), JSON.stringify(o));
}

/** A run's outcomes of a split, or undefined when the run wrote none (older runs). */
export function readOutcomes(runDir: string, split: string): Outcomes | undefined {
  const p = outcomesPath(runDir, split);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Outcomes) : undefined;
}

/**
 * Span extraction from IOB-style tags with seqeval's default (non-strict) semantics — a port of
 * seqeval.metrics.sequence_labeling.get_entities (Nakayama 2018, MIT): an I- without a preceding B- of the
 * same type starts a span; a type change starts a new span; E-/S- tags are read as seqeval does.
 */
export type Entity = readonly [type: string, start: number, end: number]; // end inclusive, as seqeval

function split(chunk: string): [tag: string, type: string] {
  if (!['O', 'B', 'I', 'E', 'S'].includes(chunk) && !/^[BIES]-/.test(chunk)) {
    throw new Error(`seqeval: invalid tag '${chunk}' (use O, B-<type>, I-<type>)`);
  }
  const rest = chunk.slice(1);
  const dash = rest.indexOf('-');
  return [chunk[0]!, (dash < 0 ? rest : rest.slice(dash + 1)) || '_'];
}

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prevTag !== 'O' && prevTag !== '.' && prevType !== type;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && tag !== '.' && prevType !== type;
}

/** seqeval get_entities on one sequence: [type, start, end] with `end` inclusive. */
export function getEntities(seq: readonly string[]): Entity[] {
  let prevTag = 'O';
  let prevType = '';
  let begin = 0;
  const chunks: Entity[] = [];
  [...seq, 'O'].forEach((chunk, i) => {
    const [tag, type] = split(chunk);
    if (endOfChunk(prevTag, tag, prevType, type)) chunks.push([prevType, begin, i - 1]);
    if (startOfChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  });
  return chunks;
}

export interface SpanCounts {
  correct: number;
  pred: number;
  gold: number;
}

/** Exact-span counts of one sequence pair (spans are equal when type, start and end are). */
export function spanCounts(gold: readonly string[], pred: readonly string[]): SpanCounts {
  if (gold.length !== pred.length) throw new Error(`seqeval: gold has ${gold.length} tags, prediction ${pred.length}`);
  const g = new Set(getEntities(gold).map((e) => e.join('\u0000')));
  const p = new Set(getEntities(pred).map((e) => e.join('\u0000')));
  let correct = 0;
  for (const e of p) if (g.has(e)) correct++;
  return { correct, pred: p.size, gold: g.size };
}

/** seqeval's micro F1 from pooled counts (0 when there is nothing to divide, as seqeval's default). */
export function f1FromCounts(c: SpanCounts): number {
  const p = c.pred > 0 ? c.correct / c.pred : 0;
  const r = c.gold > 0 ? c.correct / c.gold : 0;
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

/** seqeval.metrics.f1_score(y_true, y_pred) (micro average over all spans of all sequences). */
export function slotF1(gold: readonly (readonly string[])[], pred: readonly (readonly string[])[]): number {
  if (gold.length !== pred.length) throw new Error(`seqeval: ${gold.length} gold sequences, ${pred.length} predicted`);
  const total: SpanCounts = { correct: 0, pred: 0, gold: 0 };
  gold.forEach((g, i) => {
    const c = spanCounts(g, pred[i]!);
    total.correct += c.correct;
    total.pred += c.pred;
    total.gold += c.gold;
  });
  return f1FromCounts(total);
}

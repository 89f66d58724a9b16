import { bioLabels } from '../data/bio';
import type { CharSlot } from '../data/manifest-problems';
import { f1FromCounts, spanCounts, type SpanCounts } from './seqeval';

/** One evaluated query: gold and predicted intent, gold and predicted BIO tags (one per token). */
export interface NluExample {
  /** The query's record id, when known (per-query outcomes key on it). */
  id?: string;
  /** The query record's evaluation subset, when it has one (metrics.bySubset). */
  subset?: string;
  lang: string;
  intent: string;
  predIntent: string;
  tags: readonly string[];
  predTags: readonly string[];
}

export interface NluMetrics {
  nlu: {
    intentAccuracy: Record<string, number>;
    slotF1: Record<string, number>;
    exactMatch: Record<string, number>;
  };
  /** matrix[true][predicted] counts over all languages. */
  intentConfusion: { labels: string[]; matrix: number[][] };
}

/**
 * Intent accuracy; slot F1 = seqeval micro F1 over exact spans, pooled within a language; exact match =
 * intent right and the predicted span set equals the gold one. Per language, plus `mean` = macro mean
 * over languages. Undefined (no examples) → {} per metric.
 */
export function nluMetrics(examples: readonly NluExample[], intentLabels?: readonly string[]): NluMetrics {
  const by = new Map<string, { n: number; intent: number; exact: number; spans: SpanCounts }>();
  for (const ex of examples) {
    let s = by.get(ex.lang);
    if (!s) by.set(ex.lang, (s = { n: 0, intent: 0, exact: 0, spans: { correct: 0, pred: 0, gold: 0 } }));
    const c = spanCounts(ex.tags, ex.predTags);
    const intentOk = ex.intent === ex.predIntent;
    s.n++;
    s.intent += +intentOk;
    s.exact += +(intentOk && c.correct === c.gold && c.correct === c.pred);
    s.spans.correct += c.correct;
    s.spans.pred += c.pred;
    s.spans.gold += c.gold;
  }
  const langs = [...by.keys()].sort();
  const metric = (f: (s: NonNullable<ReturnType<typeof by.get>>) => number) => {
    const out: Record<string, number> = Object.fromEntries(langs.map((l) => [l, f(by.get(l)!)]));
    if (langs.length) out.mean = langs.reduce((a, l) => a + out[l]!, 0) / langs.length;
    return out;
  };
  const labels = intentLabels
    ? [...intentLabels]
    : [...new Set(examples.flatMap((e) => [e.intent, e.predIntent]))].sort();
  const at = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  for (const ex of examples) {
    const i = at.get(ex.intent);
    const j = at.get(ex.predIntent);
    if (i === undefined || j === undefined)
      throw new Error(
        `nlu: intent '${i === undefined ? ex.intent : ex.predIntent}' is not one of ${labels.join(', ')}`,
      );
    matrix[i]![j]!++;
  }
  return {
    nlu: {
      intentAccuracy: metric((s) => s.intent / s.n),
      slotF1: metric((s) => f1FromCounts(s.spans)),
      exactMatch: metric((s) => s.exact / s.n),
    },
    intentConfusion: { labels, matrix },
  };
}

/** A gold slot as a character span of the query text (end exclusive). */
export type CharSpan = CharSlot;

/**
 * Gold BIO tags of tokens from character spans, exactly as training labels them (src/core/data/bio.ts): a
 * token overlapping a span is B-<label> if it is the span's first such token, I-<label> after; others O.
 * `tokens`: each token's [start, end) in the text.
 */
export function spansToBio(tokens: readonly (readonly [number, number])[], spans: readonly CharSpan[]): string[] {
  return bioLabels(
    spans,
    tokens.map(([start, end]) => ({ text: '', start, end })),
  );
}

const argmax = (v: Float32Array, off: number, n: number) => {
  let best = 0;
  for (let k = 1; k < n; k++) if (v[off + k]! > v[off + best]!) best = k;
  return best;
};

/**
 * Predicted intents and BIO tags from the NLU heads' logits. intentLogits (B, I); slotLogits (B, T, S);
 * positions[b]: the token positions < T of query b that carry a word piece (not padding / specials).
 */
export function decodeNlu(
  intentLogits: Float32Array,
  slotLogits: Float32Array,
  positions: readonly (readonly number[])[],
  intentLabels: readonly string[],
  slotLabels: readonly string[],
): { intents: string[]; tags: string[][] } {
  const B = positions.length;
  const I = intentLabels.length;
  const S = slotLabels.length;
  const T = B > 0 ? slotLogits.length / (B * S) : 0;
  if (intentLogits.length !== B * I || !Number.isInteger(T))
    throw new Error(
      `decodeNlu: logits (${intentLogits.length}, ${slotLogits.length}) do not fit B=${B}, I=${I}, S=${S}`,
    );
  return {
    intents: positions.map((_, b) => intentLabels[argmax(intentLogits, b * I, I)]!),
    tags: positions.map((ps, b) =>
      ps.map((t) => {
        if (t < 0 || t >= T) throw new Error(`decodeNlu: position ${t} outside 0..${T - 1}`);
        return slotLabels[argmax(slotLogits, (b * T + t) * S, S)]!;
      }),
    ),
  };
}

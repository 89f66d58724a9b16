import { exportEmbeddings, type EmbeddingSet, type RowKind, type TextRole } from './embeddings';
import { mergeMetrics, type EvalInputs, type MetricEvaluator } from './metric';
import type { Metrics } from './metrics-schema';
import { decodeNlu, spansToBio, type CharSpan, type NluExample } from './nlu';

// The records of a split, as the dataset contract (src/core/data/dataset.ts) describes them; only the
// fields evaluation reads.
export interface EvalImage {
  id: string;
  group: string;
  split: string;
  path: string;
}
export interface EvalText {
  id: string;
  group: string;
  split: string;
  lang: string;
  role: TextRole;
  text: string;
}
export interface EvalQuery {
  id: string;
  group: string | null;
  split: string;
  lang: string;
  text: string;
  intent: string;
  slots: readonly CharSpan[];
  /** Evaluation subset (manifest `subset`): metrics are also reported per subset, in metrics.bySubset. */
  subset?: string;
}

/** NLU head outputs for a batch of queries, read back to plain arrays. */
export interface QueryNluOutputs {
  intentLogits: Float32Array; // (B, I)
  slotLogits: Float32Array; // (B, T, S)
  /** Per query, per position t < T: the token's [start, end) in the query text, or null (special / padding). */
  tokenSpans: readonly (readonly (readonly [number, number] | null)[])[];
}

/**
 * What evaluation needs from a model, in plain arrays (the trainer adapts UnifiedModel to this: run
 * encodeImage / encodeText / encodeQuery with training = false, read the tensors back, dispose them).
 * Embeddings are (B, D), L2-normalised.
 */
export interface EvalEncoder {
  embedImages(batch: readonly EvalImage[]): Promise<Float32Array>;
  embedTexts(batch: readonly EvalText[]): Promise<Float32Array>;
  embedQueries(
    batch: readonly EvalQuery[],
    useNlu: boolean,
  ): Promise<{ embeddings: Float32Array; nlu?: QueryNluOutputs }>;
}

export interface EvaluateOptions {
  split: string;
  metrics: readonly MetricEvaluator[];
  batchSize?: number;
  intentLabels?: readonly string[];
  slotLabels?: readonly string[];
  /** Embed the queries a second time without the NLU path, for the NLU contribution (default true). */
  nluContribution?: boolean;
  /** Write runDir/embeddings/<split>.{f32,json}. */
  exportTo?: string;
}

async function embedAll<T>(
  records: readonly T[],
  batchSize: number,
  embed: (b: readonly T[]) => Promise<Float32Array>,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < records.length; i += batchSize) out.push(await embed(records.slice(i, i + batchSize)));
  return out;
}

const concat = (parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
};

/** Embeds one split, decodes the NLU heads, runs the metrics and merges what they return. */
export async function evaluateSplit(
  encoder: EvalEncoder,
  records: { images: readonly EvalImage[]; texts: readonly EvalText[]; queries: readonly EvalQuery[] },
  opts: EvaluateOptions,
): Promise<{ metrics: Metrics; inputs: EvalInputs }> {
  const bs = opts.batchSize ?? 64;
  // texts and queries embedded shortest first: a batch pads to its longest row, so sorted batches pad little
  // (the rows keep this order in the embedding set; metrics do not depend on it)
  const byLength = <T extends { text: string }>(rows: T[]) =>
    rows
      .map((r, i) => [r, i] as const)
      .sort((a, b) => a[0].text.length - b[0].text.length || a[1] - b[1])
      .map(([r]) => r);
  const images = records.images.filter((r) => r.split === opts.split);
  const texts = byLength(records.texts.filter((r) => r.split === opts.split));
  const queries = byLength(records.queries.filter((r) => r.split === opts.split));

  const parts = [
    ...(await embedAll(images, bs, (b) => encoder.embedImages(b))),
    ...(await embedAll(texts, bs, (b) => encoder.embedTexts(b))),
  ];
  const nlu: NluExample[] = [];
  const queryParts: Float32Array[] = [];
  for (let i = 0; i < queries.length; i += bs) {
    const batch = queries.slice(i, i + bs);
    const out = await encoder.embedQueries(batch, true);
    queryParts.push(out.embeddings);
    if (out.nlu && opts.intentLabels && opts.slotLabels)
      nlu.push(...nluExamples(batch, out.nlu, opts.intentLabels, opts.slotLabels));
  }
  const subsets = queries.some((r) => r.subset !== undefined);
  const set: EmbeddingSet = {
    ids: [...images.map((r) => r.id), ...texts.map((r) => r.id), ...queries.map((r) => r.id)],
    kind: [
      ...images.map((): RowKind => 'image'),
      ...texts.map((): RowKind => 'text'),
      ...queries.map((): RowKind => 'query'),
    ],
    lang: [...images.map(() => null), ...texts.map((r) => r.lang), ...queries.map((r) => r.lang)],
    group: [...images.map((r) => r.group), ...texts.map((r) => r.group), ...queries.map((r) => r.group)],
    role: [...images.map(() => null), ...texts.map((r) => r.role), ...queries.map(() => null)],
    ...(subsets
      ? { subset: [...images.map(() => null), ...texts.map(() => null), ...queries.map((r) => r.subset ?? null)] }
      : {}),
    vectors: concat([...parts, ...queryParts]),
  };
  let queriesWithoutNlu: EmbeddingSet | undefined;
  if ((opts.nluContribution ?? true) && nlu.length > 0) {
    const plain = await embedAll(queries, bs, async (b) => (await encoder.embedQueries(b, false)).embeddings);
    queriesWithoutNlu = {
      ids: queries.map((r) => r.id),
      kind: queries.map((): RowKind => 'query'),
      lang: queries.map((r) => r.lang),
      group: queries.map((r) => r.group),
      ...(subsets ? { subset: queries.map((r) => r.subset ?? null) } : {}),
      vectors: concat(plain),
    };
  }
  const inputs: EvalInputs = {
    split: opts.split,
    embeddings: set,
    queriesWithoutNlu,
    nlu: nlu.length ? nlu : undefined,
    intentLabels: opts.intentLabels,
  };
  if (opts.exportTo) exportEmbeddings(opts.exportTo, opts.split, set);
  return { metrics: mergeMetrics(...opts.metrics.map((m) => m.evaluate(inputs))), inputs };
}

/** Gold and predicted intent + BIO tags of a batch, over the positions that carry a token. */
export function nluExamples(
  batch: readonly EvalQuery[],
  out: QueryNluOutputs,
  intentLabels: readonly string[],
  slotLabels: readonly string[],
): NluExample[] {
  const positions = out.tokenSpans.map((spans) => spans.flatMap((s, t) => (s ? [t] : [])));
  const pred = decodeNlu(out.intentLogits, out.slotLogits, positions, intentLabels, slotLabels);
  return batch.map((q, b) => ({
    id: q.id,
    ...(q.subset !== undefined ? { subset: q.subset } : {}),
    lang: q.lang,
    intent: q.intent,
    predIntent: pred.intents[b]!,
    tags: spansToBio(
      positions[b]!.map((t) => out.tokenSpans[b]![t]!),
      q.slots,
    ),
    predTags: pred.tags[b]!,
  }));
}

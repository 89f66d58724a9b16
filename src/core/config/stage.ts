import { z } from 'zod';
import { didYouMean } from '../errors';

/** Parameter groups of the unified model: a stage trains some and freezes the rest. */
export const MODULES = ['text', 'image', 'nlu', 'fusion'] as const;
export type ModuleName = (typeof MODULES)[number];

/** What to do when a stage has 'translation' pairs but the model no teacher (said at resolve time and at the step). */
export const NO_TEACHER =
  "'translation' pairs, which distil a teacher into the text encoder, but the model has none; set model.teacher (e.g. { id: 'use-lite-en' })";

/**
 * What a loss term is computed on. Each pair type is a pool of training examples and the features it yields:
 * - image-caption:  a = image (B,D), b = text(caption) (B,D)
 * - image-image:    a = image, b = image of the same group in another design family (B,D)
 * - caption-chunk:  a = text(caption), b = text(chunk of the same group, any language)
 * - query-chunk:    a = query (NLU-fused unless `nlu: false`), b = text(chunk of the query's group)
 * - query-nlu:      intentLogits (B,I) / intentLabels (B), slotLogits (B,T,S) / slotLabels (B,T) / slotMask (B,T)
 * - query-semantic: enhanced = query (NLU-fused) (B,D), target = text(semantic span), no gradient (B,D)
 * - translation:    a = text(caption or chunk in language X), b = text(the same-role text of its group in the
 *                   pivot language, en), teacher = the model's teacher on b, no gradient (B,D) (distillation)
 */
export const PAIR_TYPES = [
  'image-caption',
  'image-image',
  'caption-chunk',
  'query-chunk',
  'query-nlu',
  'query-semantic',
  'translation',
] as const;
export type PairType = (typeof PAIR_TYPES)[number];

/** The names the built-in curricula use for their terms (any identifier is allowed). */
export const TERM_NAMES = ['ti', 'ii', 'tc', 'qc', 'intent', 'slot', 'align'] as const;

const IDENT = /^[A-Za-z_]\w*$/;
const NUM = String.raw`\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?`;
const WEIGHT_EXPR = new RegExp(
  String.raw`^\s*(?:([A-Za-z_]\w*)(?:\s*\*\s*(${NUM}))?|(${NUM})\s*\*\s*([A-Za-z_]\w*))\s*$`,
  'i',
);

/** A weight expression: `'alpha'`, `'b*0.5'` or `'0.5*b'` → coefficient name and factor; undefined if malformed. */
export function parseWeightExpr(expr: string): { coef: string; factor: number } | undefined {
  const m = WEIGHT_EXPR.exec(expr);
  if (!m) return undefined;
  return m[1] !== undefined
    ? { coef: m[1], factor: m[2] !== undefined ? Number(m[2]) : 1 }
    : { coef: m[4]!, factor: Number(m[3]) };
}

const WEIGHT_HELP = "expected number ≥ 0, '<coefficient>' or '<coefficient>*<number>'";

export const WeightSchema = z
  .union([z.number(), z.string()], { error: (i) => `${WEIGHT_HELP}; got ${JSON.stringify(i.input)}` })
  .superRefine((w, ctx) => {
    if (typeof w === 'number' && !(Number.isFinite(w) && w >= 0))
      ctx.addIssue({ code: 'custom', message: `${WEIGHT_HELP}; got ${w}` });
    if (typeof w === 'string' && !parseWeightExpr(w))
      ctx.addIssue({ code: 'custom', message: `${WEIGHT_HELP}; got '${w}'` });
  });

export const TermSchema = z.strictObject({
  name: z.string().regex(IDENT, 'expected an identifier such as ti, tc, qc, intent, slot, align'),
  loss: z.string().min(1).describe('loss plugin id, e.g. info-nce'),
  config: z.record(z.string(), z.unknown()).default({}).describe("the loss plugin's config"),
  pair: z.enum(PAIR_TYPES),
  weight: WeightSchema.default(1).describe(
    "number ≥ 0, a coefficient of the stage's weights, or '<coef>*<number>'; 0 drops the term",
  ),
  nlu: z.boolean().default(true).describe('query-* pairs: fuse NLU features into the query embedding'),
});
export type TermInput = z.input<typeof TermSchema>;

export const UntilSchema = z
  .strictObject({ steps: z.number().int().positive().optional(), epochs: z.number().positive().optional() })
  .superRefine((u, ctx) => {
    if ((u.steps === undefined) === (u.epochs === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of {steps: N} or {epochs: N}' });
  });

/** One curriculum stage, as data: what trains, what is frozen, which terms at what weight, on which data, until when. */
export const StageSchema = z
  .strictObject({
    until: UntilSchema.describe(
      '{steps: N} or {epochs: N}; an epoch is one pass over the pool with the largest share of the batch',
    ),
    train: z.union([z.literal('all'), z.array(z.enum(MODULES))]).describe("modules updated in this stage, or 'all'"),
    freeze: z.array(z.enum(MODULES)).default([]).describe('modules kept fixed (removed from train)'),
    weights: z
      .record(z.string().regex(IDENT), z.number().min(0))
      .default({})
      .describe('named coefficients the term weights refer to'),
    terms: z.array(TermSchema).min(1),
    data: z
      .partialRecord(z.enum(PAIR_TYPES), z.number().positive())
      .optional()
      .describe('batch share per pair type; default: equal shares of the pairs the terms use'),
    lr: z.number().positive().optional().describe('peak learning rate of this stage (default: optimizer.lr)'),
    warmup: z.number().min(0).lt(1).optional().describe('warmup fraction of this stage (default: optimizer.warmup)'),
    batchSize: z.number().int().min(2).optional().describe('default: data.batchSize'),
    captionsPerImage: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(1)
      .describe(
        "image-caption pairs: the text side is the normalised mean of this many captions of the image's group (other languages first), a cleaner target than one caption",
      ),
    augment: z
      .array(z.looseObject({ id: z.string().min(1) }))
      .optional()
      .describe("augmentations of this stage's training images (default: data.augment)"),
    skip: z.boolean().default(false).describe('leave this stage out (ablations)'),
  })
  .superRefine((s, ctx) => {
    const names = new Set<string>();
    s.terms.forEach((t, i) => {
      if (names.has(t.name))
        ctx.addIssue({ code: 'custom', path: ['terms', i, 'name'], message: `duplicate term name '${t.name}'` });
      names.add(t.name);
      if (typeof t.weight === 'string') {
        const e = parseWeightExpr(t.weight);
        if (e && !(e.coef in s.weights)) {
          const known = Object.keys(s.weights);
          const hint = didYouMean(e.coef, known);
          ctx.addIssue({
            code: 'custom',
            path: ['terms', i, 'weight'],
            message: `unknown coefficient '${e.coef}'; this stage's weights: ${known.join(', ') || '(none)'}${hint ? `. Did you mean '${hint}'?` : ''}`,
          });
        }
      }
    });
    if (s.train !== 'all') {
      const both = s.train.filter((m) => s.freeze.includes(m));
      if (both.length)
        ctx.addIssue({
          code: 'custom',
          path: ['freeze'],
          message: `${both.join(', ')} both trained and frozen; remove from one list`,
        });
    }
    const trainable = (s.train === 'all' ? [...MODULES] : s.train).filter((m) => !s.freeze.includes(m));
    if (trainable.length === 0)
      ctx.addIssue({ code: 'custom', path: ['train'], message: 'nothing left to train after freeze' });
    if (s.data) {
      const used = new Set(s.terms.map((t) => t.pair));
      for (const p of used)
        if (!(p in s.data))
          ctx.addIssue({
            code: 'custom',
            path: ['data'],
            message: `pair '${p}' is used by a term but has no share; add data.${p}`,
          });
      for (const p of Object.keys(s.data))
        if (!used.has(p as PairType))
          ctx.addIssue({ code: 'custom', path: ['data', p], message: `no term uses pair '${p}'; remove it` });
    }
  });
export type StageInput = z.input<typeof StageSchema>;
export type Stage = z.output<typeof StageSchema>;

/** A term with its weight resolved to a number and its loss config parsed. */
export interface ResolvedTerm {
  name: string;
  loss: string;
  config: Record<string, unknown>;
  pair: PairType;
  weight: number;
  weightExpr: number | string;
  nlu: boolean;
}

/** A stage ready for the trainer (skipped stages and zero-weight terms removed). */
export interface ResolvedStage {
  name: string;
  until: { steps: number } | { epochs: number };
  trainable: ModuleName[];
  frozen: ModuleName[];
  weights: Record<string, number>;
  terms: ResolvedTerm[];
  data: Partial<Record<PairType, number>>; // shares, summing to 1
  lr?: number;
  warmup?: number;
  batchSize?: number;
  /** image-caption: captions averaged into the text side of each pair (1 = the pair's own caption). */
  captionsPerImage: number;
  /** This stage's augmentation pipeline (plugin id + config), when it replaces data.augment. */
  augment?: { id: string }[];
}

export function resolveWeight(w: number | string, weights: Record<string, number>): number {
  if (typeof w === 'number') return w;
  const e = parseWeightExpr(w)!;
  return weights[e.coef]! * e.factor;
}

/** Validated stage → trainer form. Terms of weight 0 are dropped, with their pairs if no other term uses them. */
export function resolveStage(
  name: string,
  s: Stage,
  parseLossConfig: (t: Stage['terms'][number], i: number) => Record<string, unknown>,
): ResolvedStage {
  const terms: ResolvedTerm[] = [];
  s.terms.forEach((t, i) => {
    const weight = resolveWeight(t.weight, s.weights);
    if (weight === 0) return;
    terms.push({
      name: t.name,
      loss: t.loss,
      config: parseLossConfig(t, i),
      pair: t.pair,
      weight,
      weightExpr: t.weight,
      nlu: t.nlu,
    });
  });
  const pairs = [...new Set(terms.map((t) => t.pair))];
  const raw = Object.fromEntries(pairs.map((p) => [p, s.data?.[p] ?? 1])) as Partial<Record<PairType, number>>;
  const sum = Object.values(raw).reduce((a, b) => a + b!, 0)!;
  const data = Object.fromEntries(Object.entries(raw).map(([p, v]) => [p, v! / sum])) as Partial<
    Record<PairType, number>
  >;
  const trainable = (s.train === 'all' ? [...MODULES] : s.train).filter((m) => !s.freeze.includes(m));
  return {
    name,
    until: s.until.steps !== undefined ? { steps: s.until.steps } : { epochs: s.until.epochs! },
    trainable,
    frozen: MODULES.filter((m) => !trainable.includes(m)),
    weights: s.weights,
    terms,
    data,
    lr: s.lr,
    warmup: s.warmup,
    batchSize: s.batchSize,
    captionsPerImage: s.captionsPerImage,
    ...(s.augment ? { augment: s.augment } : {}),
  };
}

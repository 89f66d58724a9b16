import { z } from 'zod';
import { HoldoutSchema } from './holdout';
import { PluginModuleSchema } from './plugin-modules';
import { pluginsOfExperiment, type UsedPlugin } from './plugins-used';
import { UserError } from '../errors';
import { formatZodError, type Registry } from '../registry';
import { resolveCurriculum, type CurriculumSpec } from './curriculum';
import { NO_TEACHER, type ResolvedStage } from './stage';

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/** `{ id: '<plugin id>', ...that plugin's config }`. */
const PluginRef = z.looseObject({ id: z.string().min(1) });

export const DataSchema = z.strictObject({
  dataset: PluginRef.describe("dataset plugin id and its config, e.g. { id: 'emoji-cldr' }"),
  languages: z
    .array(z.string().min(2))
    .min(1)
    .optional()
    .describe('train/evaluate on these languages only (default: all of the dataset)'),
  trainLanguages: z
    .array(z.string().min(2))
    .min(1)
    .optional()
    .describe('train on these languages only; val and test keep data.languages (zero-shot transfer to the others)'),
  imageSize: z
    .number()
    .int()
    .min(4)
    .optional()
    .describe("images are decoded once to size×size×3; default: the image encoder's imageSize, else 32"),
  batchSize: z
    .number()
    .int()
    .min(2)
    .default(32)
    .describe('examples per step, split across pair types by the stage data mix'),
  maxGroups: z
    .partialRecord(z.enum(['train', 'val', 'test', 'test-unseen']), z.number().int().positive())
    .default({})
    .describe('use at most this many groups (concepts) per split, chosen with the seed: small runs'),
  augment: z
    .array(PluginRef)
    .default([])
    .describe(
      "augmentations of training images, applied in order to every image-caption batch (a stage's own `augment` replaces this list)",
    ),
  holdout: HoldoutSchema.optional().describe(
    'design holdout: a validation split of training concepts in a family held out of training (data/holdout.ts)',
  ),
  evalSplit: z.string().default('val').describe('evaluated after every stage'),
  testSplit: z.string().default('test').describe('evaluated at the end: metrics.json final'),
});

export const OptimizerSchema = z.strictObject({
  lr: z.number().positive().default(1e-3).describe('peak learning rate (a stage may override it)'),
  weightDecay: z.number().min(0).default(0.01),
  beta1: z.number().min(0).max(1).default(0.9),
  beta2: z.number().min(0).max(1).default(0.999),
  epsilon: z.number().positive().default(1e-8),
  clipNorm: z.number().positive().nullable().default(1).describe('global gradient-norm clip; null: off'),
  warmup: z.number().min(0).lt(1).default(0.1).describe('linear warmup fraction of each stage, then cosine'),
  minLrRatio: z.number().min(0).max(1).default(0).describe('cosine floor as a fraction of the peak'),
});

export const EvalSchema = z.strictObject({
  metrics: z.array(PluginRef).optional().describe('metric plugins (default: every built-in metric)'),
  batchSize: z.number().int().positive().default(128).describe('rows embedded at once'),
  baselines: z
    .array(PluginRef)
    .default([{ id: 'pixel-knn' }, { id: 'chance' }])
    .describe('references computed for every evaluated split, in metrics.json baselines.<camelCase id>'),
});

export const ObserverRef = PluginRef;

export const ExperimentSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a kebab-case id (a-z, 0-9, -)'),
  description: z.string().default(''),
  plugins: z
    .array(PluginModuleSchema)
    .optional()
    .describe(
      'plugin modules imported before anything resolves: paths relative to the experiment file, or packages; config.json records each with its resolved path and sha256',
    ),
  seed: z.number().int().min(0).default(1),
  backend: z.enum(BACKENDS).optional().describe('default: auto (or UNIR_BACKEND / --backend)'),
  data: DataSchema,
  model: z.record(z.string(), z.unknown()).default({}).describe('model spec (the model plugin ids and sizes)'),
  curriculum: z.looseObject({ id: z.string().min(1), stages: z.record(z.string(), z.unknown()).optional() }),
  optimizer: OptimizerSchema.default(OptimizerSchema.parse({})),
  eval: EvalSchema.default(EvalSchema.parse({})),
  checkpointEvery: z.number().int().min(0).default(100).describe('steps between checkpoints (0: only at stage ends)'),
  keepCheckpoints: z.number().int().min(1).default(3).describe('newest checkpoints kept'),
  observers: z.array(ObserverRef).default([{ id: 'console-progress' }, { id: 'history-jsonl' }]),
});

export type ExperimentInput = z.input<typeof ExperimentSchema>;
export type Experiment = z.output<typeof ExperimentSchema>;

/** Identity helper for typed experiment files: `export default defineExperiment({...})`. */
export const defineExperiment = (e: ExperimentInput): ExperimentInput => e;

/** Validates the model spec; the model's own schema is plugged in by whoever owns it. */
export type ModelSpecParser = (spec: unknown, where: string, registry: Registry) => Record<string, unknown>;

export interface ResolvedExperiment {
  experiment: Experiment;
  stages: ResolvedStage[];
  /** Every plugin the experiment uses (kind, id, config with defaults, config path): reports list these. */
  plugins: UsedPlugin[];
}

/**
 * Parses an experiment (defaults filled in) and checks everything against the registry: dataset, curriculum,
 * loss, metric and observer ids (did-you-mean) and their configs. Errors are one line with the full path.
 */
export function resolveExperiment(
  input: unknown,
  registry: Registry,
  opts: { modelSpec?: ModelSpecParser; source?: string } = {},
): ResolvedExperiment {
  const at = (p: string) => (opts.source ? `${opts.source}: ${p}` : p);
  const r = ExperimentSchema.safeParse(input);
  if (!r.success) throw new UserError(at(formatZodError(r.error)));
  const e = r.data;
  try {
    const { id: dsId, ...dsCfg } = e.data.dataset;
    e.data.dataset = { id: dsId, ...(registry.parseConfig('dataset', dsId, dsCfg, 'data.dataset') as object) };
    if (opts.modelSpec) e.model = opts.modelSpec(e.model, 'model', registry);
    const modelSize = (e.model.image as { imageSize?: unknown } | undefined)?.imageSize;
    if (typeof modelSize === 'number' && e.data.imageSize !== undefined && e.data.imageSize !== modelSize) {
      throw new UserError(
        `data.imageSize: ${e.data.imageSize} but model.image.imageSize is ${modelSize}; set them equal (or leave data.imageSize out)`,
      );
    }
    e.data.imageSize ??= typeof modelSize === 'number' ? modelSize : 32;
    const outside = e.data.trainLanguages?.filter((l) => e.data.languages && !e.data.languages.includes(l)) ?? [];
    if (outside.length) {
      throw new UserError(
        `data.trainLanguages: ${outside.join(', ')} not in data.languages (${e.data.languages!.join(', ')}); add them there or drop them`,
      );
    }
    const stages = resolveCurriculum(e.curriculum as CurriculumSpec, registry, 'curriculum');
    const distils = stages.find((s) => s.terms.some((t) => t.pair === 'translation'));
    if (distils && !e.model.teacher) {
      throw new UserError(`model.teacher: stage ${distils.name} has ${NO_TEACHER}`);
    }
    const parseAugment = (list: { id: string }[], where: string) =>
      list.map(({ id, ...cfg }, i) => ({
        id,
        ...(registry.parseConfig('augmentation', id, cfg, `${where}[${i}]`) as object),
      }));
    e.data.augment = parseAugment(e.data.augment, 'data.augment');
    for (const s of stages) if (s.augment) s.augment = parseAugment(s.augment, `curriculum.stages.${s.name}.augment`);
    e.observers = e.observers.map((o, i) => {
      const { id, ...cfg } = o;
      return { id, ...(registry.parseConfig('observer', id, cfg, `observers[${i}]`) as object) };
    });
    e.eval.baselines = e.eval.baselines.map(({ id, ...cfg }, i) => ({
      id,
      ...(registry.parseConfig('baseline', id, cfg, `eval.baselines[${i}]`) as object),
    }));
    if (e.eval.metrics) {
      e.eval.metrics = e.eval.metrics.map((m, i) => {
        const { id, ...cfg } = m;
        return { id, ...(registry.parseConfig('metric', id, cfg, `eval.metrics[${i}]`) as object) };
      });
    }
    return { experiment: e, stages, plugins: pluginsOfExperiment(e, stages, registry) };
  } catch (err) {
    if (err instanceof UserError && opts.source) throw new UserError(at(err.message), err.exitCode);
    throw err;
  }
}

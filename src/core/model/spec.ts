import { z } from 'zod';
import { UserError } from '../errors';
import type { ModelSpecParser } from '../config/experiment';
import { formatZodError, type Registry } from '../registry';
import { isEncoderPlugin, type Modality } from './encoder';

/** `{ id: '<plugin id>', ...that plugin's config }`. */
const PluginRef = z.looseObject({ id: z.string().min(1).describe('plugin id') });

/**
 * The model spec: the shared width D and one plugin (id + its config fields beside it) per part. Plugin
 * fields are checked by parseModelSpec through the registry, so errors read `model.text.layers: ...`.
 * Parses `{}`: word-ngram tokenizer, text-transformer, image-vit, nlu-transformer, cross-attention fusion.
 */
export const ModelSpecSchema = z.strictObject({
  dim: z.number().int().min(1).default(128).describe('D, the shared embedding width of text, queries and images'),
  tokenizer: PluginRef.default({ id: 'word-ngram' }).describe(
    'tokenizer plugin; text and NLU encoders size their tables from it',
  ),
  text: PluginRef.default({ id: 'text-transformer' }).describe('text encoder plugin (captions, chunks, queries)'),
  image: PluginRef.default({ id: 'image-vit' }).describe('image encoder plugin'),
  nlu: PluginRef.default({ id: 'nlu-transformer' }).describe('NLU encoder plugin (intent + slots + fusion features)'),
  fusion: PluginRef.default({ id: 'cross-attention' }).describe('how NLU features enter the query embedding'),
  teacher: PluginRef.optional().describe(
    "a text encoder that never trains (e.g. use-lite-en): the target of 'translation' pairs (multilingual distillation)",
  ),
});

export type ModelSpecInput = z.input<typeof ModelSpecSchema>;
export type PluginSpec = { id: string } & Record<string, unknown>;
export type ModelSpec = {
  dim: number;
  tokenizer: PluginSpec;
  text: PluginSpec;
  image: PluginSpec;
  nlu: PluginSpec;
  fusion: PluginSpec;
  /** Distillation teacher (a text encoder, never trained), when the spec names one. */
  teacher?: PluginSpec;
};

const ENCODER_SLOTS: readonly [keyof ModelSpec, Modality][] = [
  ['text', 'text'],
  ['image', 'image'],
  ['nlu', 'nlu'],
  ['teacher', 'text'],
];

/**
 * Validates a model spec and fills every default, plugin configs included (through registry.parseConfig).
 * Also checks that each encoder slot names an encoder of that modality. Errors are one-line UserErrors with
 * the full path (`model.text.layers: ...`). Fits config/experiment.ts's ModelSpecParser as (spec, where).
 */
export function parseModelSpec(spec: unknown, where: string, registry: Registry): ModelSpec {
  const r = ModelSpecSchema.safeParse(spec ?? {});
  if (!r.success) throw new UserError(formatZodError(r.error, where));
  const s = r.data;
  const part = (kind: 'tokenizer' | 'encoder' | 'fusion', key: keyof ModelSpec): PluginSpec => {
    const { id, ...cfg } = s[key] as PluginSpec;
    return { id, ...(registry.parseConfig(kind, id, cfg, `${where}.${key}`) as object) };
  };
  for (const [key, modality] of ENCODER_SLOTS) {
    if (!s[key]) continue; // the optional teacher
    const id = (s[key] as PluginSpec).id;
    const p = registry.get('encoder', id, `${where}.${key}`);
    const m = isEncoderPlugin(p) ? p.modality : undefined;
    if (m !== modality) {
      const fits = registry
        .list('encoder')
        .filter((q) => isEncoderPlugin(q) && q.modality === modality)
        .map((q) => q.id);
      throw new UserError(
        `${where}.${key}.id: '${id}' is ${m ? `${m === 'image' ? 'an' : 'a'} ${m}` : 'not a modality-tagged'} encoder; use one of ${fits.join(', ') || '(none registered)'}`,
      );
    }
  }
  return {
    dim: s.dim,
    tokenizer: part('tokenizer', 'tokenizer'),
    text: part('encoder', 'text'),
    image: part('encoder', 'image'),
    nlu: part('encoder', 'nlu'),
    fusion: part('fusion', 'fusion'),
    ...(s.teacher ? { teacher: part('encoder', 'teacher') } : {}),
  };
}

/** parseModelSpec as resolveExperiment takes it. */
export const modelSpecParser: ModelSpecParser = (spec, where, registry) =>
  parseModelSpec(spec, where, registry) as unknown as Record<string, unknown>;

import type { z } from 'zod';

export const PLUGIN_KINDS = [
  'tokenizer', 'encoder', 'fusion', 'loss', 'curriculum', 'dataset', 'metric', 'index', 'observer', 'augmentation', 'baseline',
] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/**
 * A plugin is a declarative object: kind + stable kebab-case id + one-line summary + a zod schema that
 * holds every default + a factory. `create` receives the parsed config (defaults filled in) and a
 * kind-specific context (e.g. the tokenizer for an encoder); what it returns is the kind's contract,
 * defined next to that kind (src/core/<area>/), not here.
 */
export interface Plugin<K extends PluginKind = PluginKind, S extends z.ZodType = z.ZodType, Ctx = any, Out = unknown> {
  readonly kind: K;
  readonly id: string;
  readonly summary: string;
  readonly configSchema: S;
  readonly citation?: string;
  create(config: z.output<S>, ctx: Ctx): Out;
}

export type AnyPlugin = Plugin<PluginKind, z.ZodType, any, any>;

/**
 * Builds the `defineX` helper for one kind. Each kind's contract module calls this once, e.g.
 * `export const defineLoss = pluginDefiner('loss')<LossCtx, LossFn>();`
 */
export function pluginDefiner<K extends PluginKind>(kind: K) {
  return <Ctx, Out>() =>
    <S extends z.ZodType>(p: Omit<Plugin<K, S, Ctx, Out>, 'kind'>): Plugin<K, S, Ctx, Out> =>
      Object.freeze({ ...p, kind });
}

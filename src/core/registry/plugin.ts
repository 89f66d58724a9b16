import type { z } from 'zod';

export const PLUGIN_KINDS = [
  'tokenizer',
  'encoder',
  'fusion',
  'loss',
  'curriculum',
  'dataset',
  'metric',
  'index',
  'observer',
  'augmentation',
  'baseline',
] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/**
 * A plugin is a declarative object: kind + stable kebab-case id + one-line summary + a zod schema that
 * holds every default + a factory. `create` receives the parsed config (defaults filled in) and a
 * kind-specific context (e.g. the tokenizer for an encoder); what it returns is the kind's contract,
 * defined next to that kind (src/core/<area>/), not here.
 */
export interface Plugin<
  K extends PluginKind = PluginKind,
  S extends z.ZodType = z.ZodType,
  Ctx = any,
  Out = unknown,
  Id extends string = string,
> {
  readonly kind: K;
  readonly id: Id;
  readonly summary: string;
  readonly configSchema: S;
  /** BibTeX of the work the plugin implements; a report ends with the citations of the plugins it used. */
  readonly citation?: string;
  create(config: z.output<S>, ctx: Ctx): Out;
}

export type AnyPlugin = Plugin<PluginKind, z.ZodType, any, any>;

/**
 * The plugin type of each kind. Each kind's contract module adds its entry by declaration merging
 * (`declare module '../registry/plugin' { interface PluginTypes { loss: LossPlugin } }`), so the registry returns
 * `LossPlugin` for `get('loss', id)` without importing the contracts.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface PluginTypes {}
export type PluginOf<K extends PluginKind> = K extends keyof PluginTypes ? PluginTypes[K] : Plugin<K>;
/** What `create` of a plugin of kind K returns (its contract). */
export type InstanceOf<K extends PluginKind> =
  PluginOf<K> extends { create(config: any, ctx: any): infer O } ? O : unknown;

/**
 * Builds the `defineX` helper for one kind. Each kind's contract module calls this once, e.g.
 * `export const defineLoss = pluginDefiner('loss')<LossCtx, LossFn>();`
 */
export function pluginDefiner<K extends PluginKind>(kind: K) {
  return <Ctx, Out>() =>
    <const Id extends string, S extends z.ZodType>(
      p: Omit<Plugin<K, S, Ctx, Out, Id>, 'kind'>,
    ): Plugin<K, S, Ctx, Out, Id> =>
      Object.freeze({ ...p, kind });
}

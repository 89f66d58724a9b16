import { UserError } from '../errors';
import type { z } from 'zod';
import { formatZodError, pluginDefiner, type Plugin, type Registry } from '../registry';
import { resolveStage, StageSchema, type ResolvedStage, type StageInput } from './stage';

/**
 * A curriculum plugin returns its stages as data, keyed by stage name in training order. An experiment
 * overlays any field (`curriculum.stages.stage1.weights.alpha`), adds stages, or skips them.
 *
 * Example: `defineCurriculum({ id: 'two-step', summary: '…', configSchema: z.object({}), create: () => ({
 *   warm: { until: { steps: 100 }, train: ['text'], terms: [{ name: 'tc', loss: 'info-nce', pair: 'caption-chunk' }] },
 *   joint: { … } }) })`
 */
export type CurriculumStages = Record<string, StageInput>;
const define = pluginDefiner('curriculum')<CurriculumCtx, CurriculumStages>();
type CurriculumDef<S extends z.ZodType, Id extends string = string> = Omit<
  Plugin<'curriculum', S, CurriculumCtx, CurriculumStages, Id>,
  'kind'
> & {
  /**
   * Overlay stage names this curriculum maps onto its own: `{ stage3: 'joint', stage1: null }` applies an experiment's
   * `stages.stage3` overlay to the stage `joint` and accepts (and drops) `stages.stage1`, so one experiment file can
   * serve a curriculum and its ablation (single-stage ← three-stage).
   */
  overlayAliases?: Record<string, string | null>;
};
export function defineCurriculum<const Id extends string, S extends z.ZodType>(p: CurriculumDef<S, Id>) {
  const { overlayAliases, ...rest } = p;
  return Object.freeze({ ...define(rest), ...(overlayAliases ? { overlayAliases } : {}) });
}
export interface CurriculumCtx {
  registry: Registry;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Overlays `over` onto `base`: objects merge key by key, arrays element by element (a hole, undefined or null keeps
 * the base element, extra elements are appended), anything else replaces; `null` deletes an object key. A list of
 * named items (terms) also takes an object keyed by name: `{ qc: { weight: 2 }, ii: null, new: {...} }` updates qc,
 * removes ii, appends `new`.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  // a list of named items (a stage's terms) overlaid by an object keyed by name: merge into the item of that name,
  // or append a new one — `curriculum.stages.stage3.terms.qc.weight` does not depend on the terms' order
  if (Array.isArray(base) && isPlainObject(over) && base.every((x) => isPlainObject(x) && typeof x.name === 'string')) {
    const out = structuredClone(base) as Record<string, unknown>[];
    for (const [name, v] of Object.entries(over)) {
      const i = out.findIndex((x) => x.name === name);
      if (v === null) {
        if (i >= 0) out.splice(i, 1);
      } else if (i >= 0) out[i] = deepMerge(out[i], v) as Record<string, unknown>;
      else out.push({ name, ...(structuredClone(v) as object) });
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) {
    const n = Math.max(base.length, over.length);
    // a hole, undefined or null keeps the base element (JSON turns holes into null: config.json round-trips)
    return Array.from({ length: n }, (_, i) =>
      i in over && over[i] !== undefined && over[i] !== null ? deepMerge(base[i], over[i]) : structuredClone(base[i]),
    );
  }
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = structuredClone(base);
    for (const [k, v] of Object.entries(over)) {
      if (v === null) delete out[k];
      else out[k] = deepMerge(base[k], v);
    }
    return out;
  }
  return structuredClone(over);
}

const STAGE_NAME = /^[A-Za-z][\w-]*$/;

/** The experiment's `curriculum` field: plugin id, the plugin's own config, and an overlay of stages. */
export interface CurriculumSpec {
  id: string;
  stages?: Record<string, unknown>;
  [config: string]: unknown;
}

/**
 * Curriculum spec → ordered, validated stages with numeric weights. Plugin ids (curriculum, losses) are
 * checked against the registry with did-you-mean; every error names its full path.
 */
export function resolveCurriculum(spec: CurriculumSpec, registry: Registry, where = 'curriculum'): ResolvedStage[] {
  const { id, stages: overlay, ...config } = spec;
  const plugin = registry.get('curriculum', id, `${where}.id`);
  const cfg = plugin.configSchema.safeParse(config);
  if (!cfg.success) throw new UserError(formatZodError(cfg.error, where));
  const base = plugin.create(cfg.data, { registry } satisfies CurriculumCtx) as CurriculumStages;
  const aliases = (plugin as { overlayAliases?: Record<string, string | null> }).overlayAliases ?? {};
  const mapped: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(overlay ?? {})) {
    if (!(name in aliases) || name in base) mapped[name] = v;
    else if (aliases[name] !== null) mapped[aliases[name]!] = deepMerge(mapped[aliases[name]!] ?? {}, v);
  }
  const merged = deepMerge(base, mapped) as Record<string, unknown>;
  const out: ResolvedStage[] = [];
  for (const [name, raw] of Object.entries(merged)) {
    const at = `${where}.stages.${name}`;
    if (!STAGE_NAME.test(name))
      throw new UserError(`${at}: stage names start with a letter and hold letters, digits, '_' or '-'`);
    if (!isPlainObject(raw)) throw new UserError(`${at}: expected a stage object {until, train, terms, ...}`);
    const r = StageSchema.safeParse(raw);
    if (!r.success) throw new UserError(formatZodError(r.error, at));
    if (r.data.skip) continue;
    out.push(
      resolveStage(name, r.data, (t, i) => {
        const tw = `${at}.terms[${i}]`;
        registry.get('loss', t.loss, `${tw}.loss`);
        return registry.parseConfig('loss', t.loss, t.config, `${tw}.config`) as Record<string, unknown>;
      }),
    );
    const last = out[out.length - 1]!;
    if (last.terms.length === 0)
      throw new UserError(`${at}.terms: every term has weight 0; give one a weight > 0 or set ${at}.skip=true`);
  }
  if (out.length === 0) throw new UserError(`${where}.stages: no stage left to run (all skipped); un-skip one`);
  return out;
}

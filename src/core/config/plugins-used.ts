import type { PluginKind, Registry } from '../registry';
import type { ResolvedStage } from './stage';

/** A plugin an experiment uses: its kind, id, config (defaults filled in when resolved) and where the config names it. */
export interface UsedPlugin {
  kind: PluginKind;
  id: string;
  config: Record<string, unknown>;
  path: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{ id, ...config }` → [id, config], when `v` is a plugin reference. */
const ref = (v: unknown): [string, Record<string, unknown>] | undefined => {
  if (!isObj(v) || typeof v.id !== 'string') return undefined;
  const { id, ...config } = v;
  return [id, config];
};

const MODEL_PARTS: readonly [string, PluginKind][] = [
  ['tokenizer', 'tokenizer'],
  ['text', 'encoder'],
  ['image', 'encoder'],
  ['nlu', 'encoder'],
  ['fusion', 'fusion'],
];

/**
 * The plugins of an experiment, read from the places its schema puts them (data.dataset, data.augment, model.*,
 * curriculum, the stages' terms and augment, eval.metrics — every registered metric when it names none —,
 * eval.baselines, observers), in that order, each kind/id/config once. `stages` (resolved) add the losses; without
 * them (a config that no longer resolves) the losses are not known.
 */
export function pluginsOfExperiment(
  e: unknown,
  stages: readonly ResolvedStage[] | undefined,
  registry: Registry,
): UsedPlugin[] {
  const out: UsedPlugin[] = [];
  const add = (kind: PluginKind, v: unknown, path: string) => {
    const r = ref(v);
    if (r) out.push({ kind, id: r[0], config: r[1], path });
  };
  if (!isObj(e)) return out;
  const data = isObj(e.data) ? e.data : {};
  add('dataset', data.dataset, 'data.dataset');
  if (Array.isArray(data.augment)) data.augment.forEach((a, i) => add('augmentation', a, `data.augment[${i}]`));
  const model = isObj(e.model) ? e.model : {};
  for (const [part, kind] of MODEL_PARTS) add(kind, model[part], `model.${part}`);
  if (isObj(e.curriculum)) {
    const { stages: _overlays, ...cur } = e.curriculum;
    add('curriculum', cur, 'curriculum');
  }
  for (const s of stages ?? []) {
    for (const t of s.terms)
      out.push({ kind: 'loss', id: t.loss, config: t.config, path: `curriculum.stages.${s.name}.terms.${t.name}` });
    s.augment?.forEach((a, i) => add('augmentation', a, `curriculum.stages.${s.name}.augment[${i}]`));
  }
  const ev = isObj(e.eval) ? e.eval : {};
  if (Array.isArray(ev.metrics)) ev.metrics.forEach((m, i) => add('metric', m, `eval.metrics[${i}]`));
  else
    for (const p of registry.list('metric'))
      out.push({ kind: 'metric', id: p.id, config: {}, path: 'eval.metrics (default: every metric)' });
  if (Array.isArray(ev.baselines)) ev.baselines.forEach((b, i) => add('baseline', b, `eval.baselines[${i}]`));
  if (Array.isArray(e.observers)) e.observers.forEach((o, i) => add('observer', o, `observers[${i}]`));
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = `${p.kind}/${p.id}/${JSON.stringify(p.config)}`;
    return !seen.has(k) && !!seen.add(k);
  });
}

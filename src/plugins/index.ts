import './kinds';
import { Registry, type RegistryOptions } from '../core/registry';
import { BUILTIN_AUGMENTATIONS } from './augmentations';
import { BUILTIN_BASELINES } from './baselines';
import { BUILTIN_CURRICULA } from './curricula';
import { BUILTIN_DATASETS } from './datasets';
import { BUILTIN_ENCODERS } from './encoders';
import { BUILTIN_FUSIONS } from './fusions';
import { BUILTIN_INDEXES } from './indexes';
import { BUILTIN_LOSSES } from './losses';
import { BUILTIN_METRICS } from './metrics';
import { BUILTIN_OBSERVERS } from './observers';
import { BUILTIN_TOKENIZERS } from './tokenizers';

export const BUILTINS = [
  ...BUILTIN_TOKENIZERS,
  ...BUILTIN_ENCODERS,
  ...BUILTIN_FUSIONS,
  ...BUILTIN_LOSSES,
  ...BUILTIN_CURRICULA,
  ...BUILTIN_DATASETS,
  ...BUILTIN_METRICS,
  ...BUILTIN_INDEXES,
  ...BUILTIN_OBSERVERS,
  ...BUILTIN_AUGMENTATIONS,
  ...BUILTIN_BASELINES,
];

/** A registry holding every built-in plugin. */
export function createRegistry(opts?: RegistryOptions): Registry {
  const r = new Registry(opts);
  for (const p of BUILTINS) r.register(p);
  return r;
}

let shared: Registry | undefined;
/** The process-wide registry (CLI, notebooks): built-ins plus whatever the user registers. */
export function registry(): Registry {
  return (shared ??= createRegistry());
}

import { UserError, editDistance, isUserError } from '../errors';
import type { Registry } from '../registry';
import { setPath } from './overrides';
import { resolveExperiment, type ExperimentInput, type ModelSpecParser, type ResolvedExperiment } from './experiment';

/** One command-line override: `flag` as the user typed it (`--set a.b=1`, `--seed 3`), the dotted path and value. */
export interface SetFlag {
  flag: string;
  path: string;
  value: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The unique closest key (a typo), or undefined when none is close or several are equally close. */
function closest(name: string, known: readonly string[]): string | undefined {
  const d = known.map((k) => editDistance(name.toLowerCase(), k.toLowerCase()));
  const best = Math.min(...d);
  const at = d.flatMap((x, i) => (x === best ? [known[i]!] : []));
  return at.length === 1 && best <= Math.max(2, Math.floor(at[0]!.length / 3)) ? at[0] : undefined;
}

/**
 * What the flag's path names that the experiment does not have: the first segment missing from the resolved
 * experiment (defaults filled in; curriculum.stages = the curriculum's stages). Intermediate segments only,
 * plus the last one when the validation error is an unknown key.
 */
function missingKey(
  base: ResolvedExperiment,
  input: ExperimentInput,
  path: string,
  unknownKey: boolean,
): string | undefined {
  const keys = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean);
  const stages = [
    ...new Set([
      ...base.stages.map((s) => s.name),
      ...Object.keys(isObject(input.curriculum?.stages) ? input.curriculum.stages : {}),
    ]),
  ];
  const tree = {
    ...base.experiment,
    curriculum: { ...base.experiment.curriculum, stages: Object.fromEntries(stages.map((n) => [n, {}])) },
  };
  let node: unknown = tree;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!isObject(node)) return undefined;
    const known = Object.keys(node);
    if (!(k in node)) {
      if (i === keys.length - 1 && !unknownKey) return undefined;
      if (known.length === 0) return undefined;
      const at = keys.slice(0, i).join('.');
      const typo = closest(k, known);
      const hint = typo ? `; did you mean '${typo}'?` : '';
      if (at === 'curriculum.stages') {
        return (
          `curriculum '${base.experiment.curriculum.id}' has no stage '${k}' (stages: ${known.join(', ')})${hint}` +
          `${typo ? '' : '; a new stage needs until, train and terms'}`
        );
      }
      return `${at || 'the experiment'} has no '${k}' (it has ${known.join(', ')})${hint}`;
    }
    node = node[k];
  }
  return undefined;
}

/**
 * Applies command-line overrides to an experiment file's content and resolves it. When the file alone is
 * valid but the overrides break it, the error names the flag, not the file: the first flag after which the
 * experiment no longer resolves, with what its path names that the experiment lacks (a typo such as
 * `curriculum.stages.stage9…`). Other errors keep the file's name (`source`).
 */
export function resolveWithSetFlags(
  input: ExperimentInput,
  source: string,
  flags: readonly SetFlag[],
  registry: Registry,
  modelSpec?: ModelSpecParser,
): ResolvedExperiment {
  let all = input;
  for (const f of flags) {
    try {
      all = setPath(all, f.path, f.value);
    } catch (e) {
      if (isUserError(e)) throw new UserError(`${f.flag}: ${e.message.replace(/^override '[^']*': /, '')}`);
      throw e;
    }
  }
  try {
    return resolveExperiment(all, registry, { source, modelSpec });
  } catch (err) {
    if (!isUserError(err) || flags.length === 0) throw err;
    let base: ResolvedExperiment;
    try {
      base = resolveExperiment(input, registry, { modelSpec });
    } catch {
      throw err; // the file is broken without the flags too
    }
    // The culprit is the flag after which the experiment never resolves again: flags that only work together
    // (the until, train and terms of a new stage) fail one by one and pass once all are given.
    let cur = input;
    let culprit: { flag: SetFlag; before: ExperimentInput; error: UserError } | undefined;
    for (const f of flags) {
      const next = setPath(cur, f.path, f.value);
      try {
        resolveExperiment(next, registry, { modelSpec });
        culprit = undefined;
      } catch (e) {
        if (!isUserError(e)) throw e;
        culprit ??= { flag: f, before: cur, error: e };
      }
      cur = next;
    }
    if (!culprit) throw err;
    const { flag, before, error } = culprit;
    const missing = missingKey(base, before, flag.path, /Unrecognized key/.test(error.message));
    throw new UserError(`${flag.flag}: ${missing ? `${missing} (${error.message})` : error.message}`);
  }
}

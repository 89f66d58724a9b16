import { existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { resolveExperiment } from '../config/experiment';
import { importPluginModules } from '../config/plugin-modules';
import { modelSpecParser } from '../model/spec';
import { peekRunConfig } from '../run/record';
import { runFile } from '../run/layout';
import { loadExperiment } from '../config/load';
import { loadDefaultExport } from '../config/load-module';
import { UserError } from '../errors';
import { formatZodError, type Registry } from '../registry';
import { repoPath } from '../paths';
import { applyOverrides } from '../config/overrides';
import { SweepSchema, type SweepSpec, type Trial } from './sweep';

const EXTS = ['.ts', '.mts', '.js', '.mjs', '.json'];

/** A sweep file: path, or a name under experiments/ or experiments/sweeps/. */
export function findSweepFile(pathOrName: string): string {
  const c = [pathOrName, ...EXTS.map((e) => pathOrName + e)];
  if (!pathOrName.includes('/') && !extname(pathOrName)) {
    for (const dir of ['experiments', 'experiments/sweeps']) c.push(...EXTS.map((e) => repoPath(dir, pathOrName + e)));
  }
  const hit = c.find((p) => existsSync(p) && EXTS.includes(extname(p)));
  if (!hit)
    throw new UserError(
      `sweep '${pathOrName}': no such file; give a sweep file (.ts with 'export default defineSweep({...})', or .json)`,
    );
  return resolve(hit);
}

/** Loads and validates a sweep file (TS default export or JSON). */
export async function loadSweep(pathOrName: string): Promise<{ spec: SweepSpec; source: string }> {
  const { raw, source } = await loadDefaultExport(findSweepFile(pathOrName));
  if (typeof raw !== 'object' || raw === null)
    throw new UserError(`${source}: no sweep; end the file with 'export default defineSweep({...})'`);
  if (!('params' in raw) && 'data' in raw) {
    throw new UserError(`${source}: this is an experiment, not a sweep; run it with 'unir run ${source}'`);
  }
  const r = SweepSchema.safeParse(raw);
  if (!r.success) throw new UserError(`${source}: ${formatZodError(r.error)}`);
  return { spec: r.data, source };
}

/**
 * Validates every trial before any runs: the base experiment with the trial's overrides and seed must
 * resolve. The first bad trial throws one line naming the sweep, the trial and the bad path.
 */
export async function validateTrials(
  spec: SweepSpec,
  trials: Trial[],
  registry: Registry,
  runsDir?: string,
  plugins: readonly string[] = [],
): Promise<void> {
  const { input, source, file } = await loadExperiment(spec.base);
  const own = await importPluginModules(input.plugins ?? [], {
    registry,
    baseDir: dirname(file),
    where: `${source}: plugins`,
  });
  const extra = await importPluginModules(plugins, { registry, baseDir: process.cwd(), where: '--plugin' });
  const modules = [...own, ...extra.filter((m) => !own.some((x) => x.path === m.path))];
  for (const t of trials) {
    let config: unknown;
    try {
      const exp = applyOverrides(
        { ...input, ...(modules.length ? { plugins: modules } : {}) },
        { ...t.overrides, seed: t.seed },
      );
      config = resolveExperiment(exp, registry, { modelSpec: modelSpecParser }).experiment;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      throw new UserError(`sweep ${spec.id}: trial ${t.runId} (base ${source}): ${e.message}`);
    }
    if (runsDir) checkExistingTrial(join(runsDir, t.runId), config, spec.id);
  }
}

/**
 * A trial directory left by an earlier version of the sweep (other base or fixed overrides) would be
 * skipped or resumed as if it were this trial: refuse, naming the first field that differs.
 */
function checkExistingTrial(dir: string, config: unknown, sweepId: string): void {
  const file = runFile(dir, 'config');
  if (!existsSync(file)) return;
  const old = peekRunConfig(dir);
  if (old === undefined) throw new UserError(`${file}: not valid JSON; move ${dir} aside and re-run the sweep`);
  const diff = firstDifference(old, JSON.parse(JSON.stringify(config)), '');
  if (diff !== undefined) {
    throw new UserError(
      `${dir}: holds a run of another configuration than sweep ${sweepId}'s trial (${diff || 'config'} differs); move it aside (mv ${dir} ${dir}.old) and re-run the sweep`,
    );
  }
}

/** The dotted path of the first difference between two JSON values, or undefined if equal. */
export function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (a === b) return undefined;
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null ||
    Array.isArray(a) !== Array.isArray(b)
  )
    return path;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return path;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
    const d = firstDifference(ra[k], rb[k], path ? `${path}.${k}` : k);
    if (d !== undefined) return d;
  }
  return undefined;
}

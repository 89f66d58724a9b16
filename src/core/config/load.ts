import { existsSync, readdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { repoPath } from '../paths';
import { loadDefaultExport } from './load-module';
import { applyOverrides, type Overrides } from './overrides';
import type { ExperimentInput } from './experiment';

/** <repo>/experiments: where `loadExperiment('smoke')` looks. */
export const EXPERIMENTS_DIR = repoPath('experiments');

const EXTS = ['.ts', '.mts', '.js', '.mjs', '.json'];

/** An experiment name or path → the file it names: `smoke`, `experiments/smoke`, `./my.ts`, `x.json`. */
export function findExperimentFile(pathOrName: string): string {
  const candidates = [pathOrName, ...EXTS.map((e) => pathOrName + e)];
  if (!pathOrName.includes('/') && !extname(pathOrName))
    candidates.push(...EXTS.map((e) => join(EXPERIMENTS_DIR, pathOrName + e)));
  for (const c of candidates) if (existsSync(c) && EXTS.includes(extname(c))) return resolve(c);
  const known = existsSync(EXPERIMENTS_DIR)
    ? readdirSync(EXPERIMENTS_DIR)
        .filter((f) => EXTS.includes(extname(f)))
        .map((f) => f.replace(/\.[^.]+$/, ''))
    : [];
  throw new UserError(
    `experiment '${pathOrName}': no such file; give a path (.ts or .json) or a name in experiments/ (${known.join(', ') || 'none'})`,
  );
}

export interface LoadedExperiment {
  /** The experiment as written, with overrides applied (not validated yet: see resolveExperiment). */
  input: ExperimentInput;
  /** The file it came from, relative to the working directory when inside it. */
  source: string;
  /** The file's absolute path (plugin modules are relative to its folder). */
  file: string;
}

/** Reads a TS/JS file (its default export, usually `defineExperiment({...})`) or a JSON file, then applies `--set` overrides. */
export async function loadExperiment(pathOrName: string, overrides: Overrides = {}): Promise<LoadedExperiment> {
  const file = findExperimentFile(pathOrName);
  const { raw: input, source } = await loadDefaultExport(file);
  if (typeof input !== 'object' || input === null) {
    throw new UserError(`${source}: no default export; end the file with 'export default defineExperiment({...})'`);
  }
  return { input: applyOverrides(input as ExperimentInput, overrides), source, file };
}

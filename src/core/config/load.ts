import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors';
import { repoPath } from '../paths';
import { applyOverrides, type Overrides } from '../sweep/overrides';
import type { ExperimentInput } from './experiment';

/** <repo>/experiments: where `loadExperiment('smoke')` looks. */
export const EXPERIMENTS_DIR = repoPath('experiments');

const EXTS = ['.ts', '.mts', '.js', '.mjs', '.json'];

/** An experiment name or path → the file it names: `smoke`, `experiments/smoke`, `./my.ts`, `x.json`. */
export function findExperimentFile(pathOrName: string): string {
  const candidates = [pathOrName, ...EXTS.map((e) => pathOrName + e)];
  if (!pathOrName.includes('/') && !extname(pathOrName)) candidates.push(...EXTS.map((e) => join(EXPERIMENTS_DIR, pathOrName + e)));
  for (const c of candidates) if (existsSync(c) && EXTS.includes(extname(c))) return resolve(c);
  const known = existsSync(EXPERIMENTS_DIR)
    ? readdirSync(EXPERIMENTS_DIR).filter((f) => EXTS.includes(extname(f))).map((f) => f.replace(/\.[^.]+$/, ''))
    : [];
  throw new UserError(`experiment '${pathOrName}': no such file; give a path (.ts or .json) or a name in experiments/ (${known.join(', ') || 'none'})`);
}

export interface LoadedExperiment {
  /** The experiment as written, with overrides applied (not validated yet: see resolveExperiment). */
  input: ExperimentInput;
  /** The file it came from, relative to the working directory when inside it. */
  source: string;
}

/** Reads a TS/JS file (its default export, usually `defineExperiment({...})`) or a JSON file, then applies `--set` overrides. */
export async function loadExperiment(pathOrName: string, overrides: Overrides = {}): Promise<LoadedExperiment> {
  const file = findExperimentFile(pathOrName);
  const rel = relative(process.cwd(), file);
  const source = rel.startsWith('..') ? file : rel;
  let input: unknown;
  if (extname(file) === '.json') {
    try {
      input = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UserError(`${source}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
    }
  } else {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (e) {
      throw new UserError(`${source}: cannot load (${(e as Error).message.split('\n')[0]}); fix the file or run it with 'node bin/run-ts.mjs ${source}' to see the error`);
    }
    input = (mod.default as { default?: unknown } | undefined)?.default ?? mod.default;
    if (typeof input !== 'object' || input === null) {
      throw new UserError(`${source}: no default export; end the file with 'export default defineExperiment({...})'`);
    }
  }
  return { input: applyOverrides(input as ExperimentInput, overrides), source };
}

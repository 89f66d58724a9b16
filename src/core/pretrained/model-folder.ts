import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors';

/**
 * The model file of a folder: `file` (relative to the folder, or absolute) when given, else `preferred` if it exists,
 * else the folder's only file with extension `ext`. UserErrors name the folder and the fix.
 */
export function modelFile(
  folder: string,
  file: string | undefined,
  preferred: string,
  ext: string,
  where: string,
): string {
  const dir = resolve(folder);
  if (!folder)
    throw new UserError(`${where}.path: set it to the folder holding the model (${preferred}, tokenizer/config files)`);
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) throw new UserError(`${where}.path: ${dir} does not exist; point it at the folder holding ${preferred}`);
  if (!st.isDirectory())
    throw new UserError(
      `${where}.path: ${dir} is a file; point path at the folder that holds it (and its tokenizer/config files)`,
    );
  if (file) return isAbsolute(file) ? file : join(dir, file);
  if (existsSync(join(dir, preferred))) return join(dir, preferred);
  const found = readdirSync(dir).filter((f) => f.endsWith(ext));
  if (found.length === 1) return join(dir, found[0]!);
  throw new UserError(
    `${where}.path: ${dir} has ${found.length ? `several ${ext} files (${found.join(', ')})` : `no ${preferred}`}; ${found.length ? "choose one with 'file'" : `copy the model there as ${preferred}`}`,
  );
}

/** A JSON config file of the folder (preprocessor_config.json, config.json), or undefined when absent. */
export function folderJson(folder: string, name: string, where: string): Record<string, unknown> | undefined {
  const f = join(resolve(folder), name);
  if (!existsSync(f)) return undefined;
  try {
    const v = JSON.parse(readFileSync(f, 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new UserError(
      `${where}.path: ${f} is not valid JSON (${(e as Error).message.split('\n')[0]}); fix or remove it`,
    );
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../errors';

/** A JSON file, or undefined when missing or unreadable. */
export function readJsonOrUndefined<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A JSON file; a missing file is undefined, an unreadable one a one-line UserError ending in `fix`. */
export function readJsonFile<T>(path: string, fix: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message.split('\n')[0]}); ${fix}`);
  }
}

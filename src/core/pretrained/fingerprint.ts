import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { UserError } from '../errors';

/** A model's identity on disk: what a feature cache is keyed by. */
export interface ModelFingerprint {
  /** Absolute path of the folder (or single file) the model was loaded from. */
  path: string;
  /** sha1 over every file's relative path and bytes, in sorted order (hex). */
  hash: string;
  files: number;
  bytes: number;
}

const memo = new Map<string, { size: number; mtimeMs: number; hash: string }>();

/** sha1 of a file's bytes, memoised per process by (path, size, mtimeMs). */
function fileHash(file: string, size: number, mtimeMs: number): string {
  const known = memo.get(file);
  if (known && known.size === size && known.mtimeMs === mtimeMs) return known.hash;
  const hash = createHash('sha1').update(readFileSync(file)).digest('hex');
  memo.set(file, { size, mtimeMs, hash });
  return hash;
}

/** Regular files under `dir` (recursive, hidden entries skipped), sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/**
 * The fingerprint of a model folder (every file in it: weights, graph, tokenizer, configs) or of one model file.
 * Any changed byte, added or removed file gives another hash, so features cached for the old files are never
 * served for the new ones. `where` names the config field in errors.
 */
export function modelFingerprint(path: string, where: string): ModelFingerprint {
  const abs = resolve(path);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) throw new UserError(`${where}: ${abs} does not exist; point it at the folder holding the model files`);
  const files = st.isDirectory() ? listFiles(abs) : [abs];
  if (files.length === 0) throw new UserError(`${where}: ${abs} is an empty folder; copy the model files into it`);
  const h = createHash('sha1');
  let bytes = 0;
  for (const f of files) {
    const s = statSync(f);
    bytes += s.size;
    h.update(`${relative(abs, f) || '.'}\u0000${s.size}\u0000${fileHash(f, s.size, s.mtimeMs)}\n`);
  }
  return { path: abs, hash: h.digest('hex'), files: files.length, bytes };
}

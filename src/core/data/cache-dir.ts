// Where unir keeps what it derives from a dataset (decoded image tensors, token tables): never in the dataset's
// own folder, which may be read-only or shared, but under the cache root, one folder per manifest.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { repoPath } from '../paths';

/** The root of unir's data caches: $UNIR_CACHE_DIR, else <repo>/.cache/unir (git-ignored). */
export function cacheRoot(): string {
  const env = process.env.UNIR_CACHE_DIR;
  return env ? resolve(env) : repoPath('.cache', 'unir');
}

const hashes = new Map<string, { size: number; mtimeMs: number; hash: string }>();

/** sha1 of a manifest's bytes ('' when it cannot be read), memoised by path, size and mtime. */
export function manifestHash(path: string): string {
  const abs = resolve(path);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) return '';
  const known = hashes.get(abs);
  if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.hash;
  let hash = '';
  try {
    hash = createHash('sha1').update(readFileSync(abs)).digest('hex');
  } catch {
    // unreadable: caches keyed on it are simply not shared
  }
  hashes.set(abs, { size: st.size, mtimeMs: st.mtimeMs, hash });
  return hash;
}

/**
 * The cache folder of one manifest: `<cacheRoot>/datasets/<its folder's name>-<sha1 of its absolute path>/`. What is
 * cached inside is keyed by content (the manifest's hash and the images' sizes and mtimes; the texts and the
 * tokenizer), so an edited manifest or image is never served from a stale entry.
 */
export function datasetCacheDir(dataset: { manifestPath: string }): string {
  const abs = resolve(dataset.manifestPath);
  const name =
    basename(dirname(abs))
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .slice(0, 40) || 'dataset';
  return join(cacheRoot(), 'datasets', `${name}-${createHash('sha1').update(abs).digest('hex').slice(0, 16)}`);
}

// The one image loader of unir: any file sharp decodes → (size, size, 3) float RGB in [0, 1] on white.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { datasetCacheDir, manifestHash } from './cache-dir';
import type { Dataset } from './dataset';

/** Bump when decoding changes (background, fit, scaling): image caches written by older loaders are rebuilt. */
export const IMAGE_LOADER_VERSION = 1;
const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };

function reasonOf(e: unknown): string {
  return (e as Error).message.split('\n')[0]!.replace(/[:\s]+$/, '');
}

/**
 * Decodes PNG/JPEG/WebP/SVG/GIF/TIFF/AVIF: transparency flattened onto white, then resized to size×size
 * keeping the aspect ratio (fit contain, white padding). SVGs are drawn at the target scale by sharp and are
 * exempt from the pixel limit, so huge declared sizes work; other formats keep sharp's limit (decompression bombs).
 * Returns (size, size, 3) row-major RGB in [0, 1]. A missing or undecodable file → UserError naming it.
 */
export async function decodeImage(file: string, size: number): Promise<Float32Array> {
  if (!existsSync(file)) throw new UserError(`${file}: image file not found`);
  let raw: Buffer;
  try {
    raw = await decodeRaw(file, size);
  } catch (e) {
    throw new UserError(`${file}: cannot decode image: ${reasonOf(e)}`);
  }
  const out = new Float32Array(size * size * 3); // (H, W, 3)
  for (let i = 0; i < out.length; i++) out[i] = raw[i]! / 255;
  return out;
}

async function decodeRaw(file: string, size: number): Promise<Buffer> {
  const svg = /\.svgz?$/i.test(file);
  const { data, info } = await sharp(file, { limitInputPixels: svg ? false : undefined, failOn: 'warning' })
    .flatten({ background: WHITE })
    .resize(size, size, { fit: 'contain', background: WHITE })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) {
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${size}×${size}×3`);
  }
  return data;
}

/** Why an existing `file` cannot be decoded (sharp's first line), or undefined when it decodes. For the validator. */
export async function imageProblem(file: string): Promise<string | undefined> {
  try {
    await decodeRaw(file, 8);
    return undefined;
  } catch (e) {
    return reasonOf(e);
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}

export interface LoadImagesOptions {
  /** Skip missing/undecodable files (counted in `bad`) instead of throwing. Default false. */
  skipBad?: boolean;
  /** Files decoded at once. Default 4. */
  concurrency?: number;
  /** Called once per skipped file. */
  warn?: (line: string) => void;
}

export interface LoadedImages {
  data: Float32Array; // (N_kept, size, size, 3)
  kept: number[]; // indices into `files` of the images in `data`, in order
  bad: { index: number; file: string; reason: string }[]; // index into `files`
}

/** Decodes many files into one (N, size, size, 3) array. Without skipBad the first bad file throws its UserError. */
export async function loadImages(
  files: readonly string[],
  size: number,
  opts: LoadImagesOptions = {},
): Promise<LoadedImages> {
  const decoded = await mapPool(files, opts.concurrency ?? 4, async (file) => {
    try {
      return await decodeImage(file, size);
    } catch (e) {
      if (!opts.skipBad) throw e;
      return e as Error;
    }
  });
  const per = size * size * 3;
  const kept: number[] = [];
  const bad: LoadedImages['bad'] = [];
  decoded.forEach((d, i) => {
    if (d instanceof Float32Array) kept.push(i);
    else {
      bad.push({ index: i, file: files[i]!, reason: d.message });
      opts.warn?.(`unir: skipped bad image ${d.message}`);
    }
  });
  const data = new Float32Array(kept.length * per);
  kept.forEach((i, k) => data.set(decoded[i] as Float32Array, k * per));
  return { data, kept, bad };
}

export interface ImageTensorCache {
  ids: string[]; // image ids, in the order of `data`
  size: number;
  data: Float32Array; // (N, size, size, 3) RGB in [0, 1]
  skipped: { id: string; reason: string }[]; // bad images left out (skipBad)
  fromCache: boolean;
}

export interface ImageCacheOptions extends Omit<LoadImagesOptions, 'warn'> {
  /** The caller can do without bad images; they are left out only when the dataset allows it too (dataset.skipBadImages). */
  skipBad?: boolean;
  log?: (line: string) => void;
}

interface CacheIndex {
  loader: number;
  size: number;
  key: string; // hash of (id, path, bytes, mtime) of every image of the split
  ids: string[];
  skipped: ImageTensorCache['skipped'];
  bytes: number;
}

/**
 * All images of one split decoded once, as one (N, size, size, 3) array, cached on disk under the dataset's cache
 * folder (datasetCacheDir: $UNIR_CACHE_DIR or <repo>/.cache/unir, never the dataset's own folder) as
 * images/<split>-<size>-<key>.f32 with <split>-<size>-<key>.json as its index (both written atomically, index last),
 * the key a hash of the manifest's content and the split's images (ids, paths, sizes, mtimes): a split's images in
 * another selection (a holdout, a filter, an edited manifest) get their own entry instead of replacing this one, and
 * the KEEP_PER_SPLIT most recently used entries of a split and size stay. A cache that cannot be written is a
 * warning: the images are decoded again next time.
 */
export async function loadImageTensorCache(
  dataset: Dataset,
  split: string,
  size: number,
  opts: ImageCacheOptions = {},
): Promise<ImageTensorCache> {
  const images = dataset.split(split).images;
  const skipBad = (opts.skipBad ?? false) && dataset.skipBadImages;
  const badImage = (reason: string, id?: string) => {
    const im = images.find((x) => x.id === id) ?? images.find((x) => reason.startsWith(`${x.file}:`));
    const at = im ? `${dataset.manifestPath}:${im.line}: path: ` : '';
    return new UserError(
      `${at}${reason}; fix or replace the image, or set skipBadImages: true in the dataset config to leave bad images out`,
    );
  };
  const hash = createHash('sha1').update(`${IMAGE_LOADER_VERSION}|${size}|${manifestHash(dataset.manifestPath)}|`);
  for (const im of images) {
    const st = statSync(im.file, { throwIfNoEntry: false });
    hash.update(`${im.id}\u0000${im.path}\u0000${st?.size ?? -1}\u0000${st?.mtimeMs ?? -1}\n`);
  }
  const key = hash.digest('hex');
  const dir = join(datasetCacheDir(dataset), 'images');
  const base = join(dir, `${split}-${size}-${key.slice(0, 16)}`);
  const index = readCacheIndex(`${base}.json`);
  if (index && index.key === key && index.loader === IMAGE_LOADER_VERSION && index.size === size) {
    if (index.skipped.length && !skipBad) throw badImage(index.skipped[0]!.reason, index.skipped[0]!.id); // cached with skipBad: still bad
    const buf = readIfThere(`${base}.f32`); // (another process may be pruning it)
    if (buf?.byteLength === index.bytes) {
      touch(`${base}.json`);
      const data =
        buf.byteOffset % 4 === 0
          ? new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)
          : new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      return { ids: index.ids, size, data, skipped: index.skipped, fromCache: true };
    }
  }
  const t0 = Date.now();
  let loaded: LoadedImages;
  try {
    loaded = await loadImages(
      images.map((im) => im.file),
      size,
      { skipBad, concurrency: opts.concurrency, warn: opts.log },
    );
  } catch (e) {
    throw e instanceof UserError ? badImage(e.message) : e;
  }
  const ids = loaded.kept.map((i) => images[i]!.id);
  const skipped = loaded.bad.map((b) => ({ id: images[b.index]!.id, reason: b.reason }));
  const data = loaded.data;
  try {
    writeFileAtomic(`${base}.f32`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const idx: CacheIndex = { loader: IMAGE_LOADER_VERSION, size, key, ids, skipped, bytes: data.byteLength };
    writeFileAtomic(`${base}.json`, JSON.stringify(idx));
    prune(dir, `${split}-${size}-`);
  } catch (e) {
    opts.log?.(
      `unir: could not write the image cache ${base}.f32 (${(e as Error).message.split('\n')[0]}); continuing without it`,
    );
  }
  opts.log?.(
    `unir: decoded ${ids.length} ${split} images at ${size}×${size} in ${((Date.now() - t0) / 1000).toFixed(1)} s${skipped.length ? `, skipped ${skipped.length} bad` : ''}`,
  );
  return { ids, size, data, skipped, fromCache: false };
}

/** Image cache entries kept per split and size (the most recently used; each a split's images as float32). */
export const KEEP_PER_SPLIT = 4;

/**
 * Removes all but the KEEP_PER_SPLIT most recently used entries named `<prefix><key>` (index first, then data), and
 * the entry of the layout before keys (`<split>-<size>.f32`, one a split and size).
 */
function prune(dir: string, prefix: string): void {
  for (const ext of ['.json', '.f32']) rmSync(join(dir, `${prefix.slice(0, -1)}${ext}`), { force: true });
  const entries = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json') && /^[0-9a-f]{16}$/.test(f.slice(prefix.length, -5)))
    .map((f) => ({
      base: join(dir, f.slice(0, -5)),
      used: statSync(join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0,
    }))
    .sort((a, b) => b.used - a.used);
  for (const { base } of entries.slice(KEEP_PER_SPLIT)) {
    rmSync(`${base}.json`, { force: true });
    rmSync(`${base}.f32`, { force: true });
  }
}

/**
 * Marks an entry used now. Sub-millisecond time: an entry written just before carries the kernel's stamp, at or before
 * its write, and must sort before this one (a Date, whole milliseconds, could fall behind that stamp: flaky LRU).
 */
function touch(path: string): void {
  try {
    const now = (performance.timeOrigin + performance.now()) / 1000; // seconds
    utimesSync(path, now, now);
  } catch {
    // a read-only cache is still read
  }
}

function readIfThere(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function readCacheIndex(path: string): CacheIndex | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CacheIndex;
  } catch {
    return undefined;
  }
}

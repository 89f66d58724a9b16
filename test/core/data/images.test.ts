import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cacheRoot, datasetCacheDir } from '../../../src/core/data/cache-dir';
import { decodeImage, KEEP_PER_SPLIT, loadImageTensorCache, loadImages } from '../../../src/core/data/images';
import { loadManifestDataset } from '../../../src/core/data/load-manifest';
import { UserError } from '../../../src/core/errors';

let dir: string;
const solid = (w: number, h: number, channels: 3 | 4, c: { r: number; g: number; b: number; alpha?: number }) =>
  sharp({ create: { width: w, height: h, channels, background: { alpha: 1, ...c } } });

/** Pixel (y, x) of an (H, W, 3) image. */
const px = (a: Float32Array, size: number, y: number, x: number) =>
  Array.from(a.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));
const WHITE = [1, 1, 1];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'unir-images-'));
  await solid(6, 6, 3, { r: 255, g: 0, b: 0 }).png().toFile(join(dir, 'red.png'));
  await solid(6, 6, 4, { r: 255, g: 0, b: 0, alpha: 0 }).png().toFile(join(dir, 'clear.png'));
  await solid(6, 6, 4, { r: 0, g: 0, b: 0, alpha: 0.5 }).png().toFile(join(dir, 'half.png'));
  await solid(6, 6, 3, { r: 0, g: 255, b: 0 }).jpeg({ quality: 95 }).toFile(join(dir, 'green.jpg'));
  await solid(8, 4, 3, { r: 0, g: 0, b: 255 }).webp({ lossless: true }).toFile(join(dir, 'wide.webp'));
  writeFileSync(
    join(dir, 'huge.svg'),
    '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000" viewBox="0 0 4 4"><rect width="4" height="4" fill="#00ff00"/></svg>',
  );
  const png = await solid(6, 6, 3, { r: 1, g: 2, b: 3 }).png().toBuffer();
  writeFileSync(join(dir, 'truncated.png'), png.subarray(0, 30));
  writeFileSync(join(dir, 'text.png'), 'not an image\n');
});

describe('decodeImage', () => {
  it('opaque PNG → (size, size, 3) with the exact colour', async () => {
    const a = await decodeImage(join(dir, 'red.png'), 8);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(8 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(px(a, 8, y, x)).toEqual([1, 0, 0]);
  });

  it('flattens transparency onto white: alpha 0 → white, alpha 0.5 black → 128/255 grey', async () => {
    const clear = await decodeImage(join(dir, 'clear.png'), 4);
    expect(new Set(clear)).toEqual(new Set([1]));
    const half = await decodeImage(join(dir, 'half.png'), 4);
    // sharp stores alpha 0.5 as 128: 0·(128/255) + 255·(1 − 128/255) = 127 → 127/255
    for (const v of half) expect(v).toBeCloseTo(127 / 255, 6);
  });

  it('JPEG decodes to the colour within JPEG error, values in [0, 1]', async () => {
    const a = await decodeImage(join(dir, 'green.jpg'), 5);
    expect(a.length).toBe(5 * 5 * 3);
    for (let i = 0; i < a.length; i += 3) {
      expect(a[i]!).toBeLessThan(4 / 255);
      expect(a[i + 1]!).toBeGreaterThan(251 / 255);
      expect(a[i + 2]!).toBeLessThan(4 / 255);
    }
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
  });

  it('keeps the aspect ratio: an 8×4 WebP becomes an 8×4 band padded with white rows', async () => {
    const a = await decodeImage(join(dir, 'wide.webp'), 8);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) expect(px(a, 8, y, x)).toEqual(y >= 2 && y < 6 ? [0, 0, 1] : WHITE);
    }
  });

  it('renders an SVG that declares 100000×100000 px (beyond the pixel limit) at the target size', async () => {
    const a = await decodeImage(join(dir, 'huge.svg'), 16);
    expect(a.length).toBe(16 * 16 * 3);
    for (let y = 2; y < 14; y++) for (let x = 2; x < 14; x++) expect(px(a, 16, y, x)).toEqual([0, 1, 0]);
  });

  it('a corrupt, non-image or missing file → UserError naming the file', async () => {
    await expect(decodeImage(join(dir, 'truncated.png'), 8)).rejects.toThrow(
      `${join(dir, 'truncated.png')}: cannot decode image: `,
    );
    await expect(decodeImage(join(dir, 'text.png'), 8)).rejects.toThrow(
      `${join(dir, 'text.png')}: cannot decode image: Input file contains unsupported image format`,
    );
    await expect(decodeImage(join(dir, 'gone.png'), 8)).rejects.toMatchObject({
      name: 'UserError',
      message: `${join(dir, 'gone.png')}: image file not found`,
    });
  });
});

describe('loadImages', () => {
  it('with skipBad, bad files are counted and left out; the good ones keep their order', async () => {
    const files = ['red.png', 'truncated.png', 'gone.png', 'clear.png'].map((f) => join(dir, f));
    const warnings: string[] = [];
    const r = await loadImages(files, 4, { skipBad: true, warn: (l) => warnings.push(l) });
    expect(r.kept).toEqual([0, 3]);
    expect(r.bad.map((b) => b.index)).toEqual([1, 2]);
    expect(r.bad[1]!.reason).toBe(`${files[2]}: image file not found`);
    expect(warnings).toHaveLength(2);
    expect(r.data.length).toBe(2 * 4 * 4 * 3);
    expect(Array.from(r.data.subarray(0, 48))).toEqual(Array.from(await decodeImage(files[0]!, 4)));
    expect(new Set(r.data.subarray(48))).toEqual(new Set([1]));
  });

  it('without skipBad, the first bad file rejects with its UserError', async () => {
    await expect(loadImages([join(dir, 'red.png'), join(dir, 'text.png')], 4)).rejects.toThrow(
      `${join(dir, 'text.png')}: cannot decode image`,
    );
  });
});

describe('loadImageTensorCache', () => {
  const cacheHome = mkdtempSync(join(tmpdir(), 'unir-cache-home-'));
  beforeAll(() => vi.stubEnv('UNIR_CACHE_DIR', cacheHome));
  afterAll(() => vi.unstubAllEnvs());

  it('decodes a split once, then reads the cache; equal to decodeImage per file; rebuilt when an image changes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'unir-cache-'));
    cpSync('test/fixtures/manifests/valid', root, { recursive: true });
    const listing = readdirSync(root).sort();
    const ds = await loadManifestDataset(join(root, 'manifest.jsonl'));
    const first = await loadImageTensorCache(ds, 'train', 8);
    expect(first.fromCache).toBe(false);
    expect(first.ids).toEqual(['img/png/dog', 'img/svg/dog', 'img/jpg/cat']);
    expect(first.data.length).toBe(3 * 8 * 8 * 3);
    const oracle = await Promise.all(ds.split('train').images.map((im) => decodeImage(im.file, 8)));
    expect(Array.from(first.data)).toEqual(oracle.flatMap((a) => Array.from(a)));
    // the cache lives under $UNIR_CACHE_DIR, in the manifest's own folder there; the dataset folder is only read
    expect(cacheRoot()).toBe(cacheHome);
    const cache = datasetCacheDir(ds);
    expect(cache.startsWith(join(cacheHome, 'datasets', `${basename(root)}-`))).toBe(true);
    const entry = readdirSync(join(cache, 'images')).sort();
    expect(entry).toHaveLength(2);
    expect(entry[0]).toMatch(/^train-8-[0-9a-f]{16}\.f32$/);
    expect(entry[1]).toBe(entry[0]!.replace('.f32', '.json'));
    expect(readdirSync(root).sort()).toEqual(listing);

    const second = await loadImageTensorCache(ds, 'train', 8);
    expect(second.fromCache).toBe(true);
    expect(second.ids).toEqual(first.ids);
    expect(second.data).toEqual(first.data);

    await solid(3, 3, 3, { r: 0, g: 0, b: 0 })
      .png()
      .toFile(join(root, 'images', 'cat.jpg.tmp.png'));
    cpSync(join(root, 'images', 'cat.jpg.tmp.png'), join(root, 'images', 'cat.jpg'));
    const third = await loadImageTensorCache(ds, 'train', 8);
    expect(third.fromCache).toBe(false);
    expect(new Set(third.data.subarray(2 * 192))).toEqual(new Set([0]));
    expect(readdirSync(join(cache, 'images')).filter((f) => f.startsWith('test-'))).toEqual([]);
    expect((await loadImageTensorCache(ds, 'train', 8)).fromCache).toBe(true);

    // keyed by the manifest's content too: an edited manifest is not served from the old entry, and does not replace
    // it (the manifest as it was is served from its own entry again)
    const manifest = readFileSync(join(root, 'manifest.jsonl'), 'utf8');
    appendFileSync(join(root, 'manifest.jsonl'), '\n');
    expect((await loadImageTensorCache(ds, 'train', 8)).fromCache).toBe(false);
    writeFileSync(join(root, 'manifest.jsonl'), manifest);
    const again = await loadImageTensorCache(ds, 'train', 8);
    expect(again.fromCache).toBe(true);
    expect(again.data).toEqual(third.data);
    // the most recently used KEEP_PER_SPLIT entries of a split and size stay: 3 more manifests, and the first one's
    // entry (used just now) is still there
    for (let i = 1; i <= 3; i++) {
      writeFileSync(join(root, 'manifest.jsonl'), manifest + '\n'.repeat(i + 1)); // (one newline: the entry above)
      expect((await loadImageTensorCache(ds, 'train', 8)).fromCache).toBe(false);
    }
    expect(readdirSync(join(cache, 'images'))).toHaveLength(2 * KEEP_PER_SPLIT);
    writeFileSync(join(root, 'manifest.jsonl'), manifest);
    expect((await loadImageTensorCache(ds, 'train', 8)).fromCache).toBe(true);
    appendFileSync(join(root, 'manifest.jsonl'), '\n');
    // and by its absolute path: the same dataset copied elsewhere has its own folder
    const copy = mkdtempSync(join(tmpdir(), 'unir-cache-'));
    cpSync(root, copy, { recursive: true });
    const other = await loadManifestDataset(join(copy, 'manifest.jsonl'));
    expect(datasetCacheDir(other)).not.toBe(cache);
    expect((await loadImageTensorCache(other, 'train', 8)).fromCache).toBe(false);
    expect(readdirSync(root).sort()).toEqual(listing);
  });

  it('without $UNIR_CACHE_DIR, caches go to <repo>/.cache/unir', () => {
    vi.stubEnv('UNIR_CACHE_DIR', '');
    try {
      expect(cacheRoot()).toBe(join(process.cwd(), '.cache', 'unir'));
    } finally {
      vi.stubEnv('UNIR_CACHE_DIR', cacheHome);
    }
  });

  it('with skipBad and a dataset that allows it, a split with a corrupt image caches the rest and reports the skipped id', async () => {
    const root = mkdtempSync(join(tmpdir(), 'unir-cache-'));
    cpSync('test/fixtures/manifests/valid', root, { recursive: true });
    const ds = await loadManifestDataset(join(root, 'manifest.jsonl'), { skipBadImages: true });
    writeFileSync(join(root, 'images', 'dog.svg'), '<svg'); // corrupted after validation: must not crash
    await expect(loadImageTensorCache(ds, 'train', 4)).rejects.toThrow(
      `${join(root, 'images', 'dog.svg')}: cannot decode image`,
    );
    const r = await loadImageTensorCache(ds, 'train', 4, { skipBad: true });
    expect(r.ids).toEqual(['img/png/dog', 'img/jpg/cat']);
    expect(r.skipped.map((s) => s.id)).toEqual(['img/svg/dog']);
    const again = await loadImageTensorCache(ds, 'train', 4, { skipBad: true });
    expect(again).toMatchObject({ fromCache: true, ids: r.ids, skipped: r.skipped });
    await expect(loadImageTensorCache(ds, 'train', 4)).rejects.toThrow(
      `${join(root, 'images', 'dog.svg')}: cannot decode image`,
    );
  });

  it('checkImages: false does not skip a bad image when the dataset says skipBadImages: false: the error names the manifest line', async () => {
    const root = mkdtempSync(join(tmpdir(), 'unir-cache-'));
    cpSync('test/fixtures/manifests/valid', root, { recursive: true });
    writeFileSync(join(root, 'images', 'dog.svg'), '<svg'); // never decoded at load (checkImages: false)
    const manifest = join(root, 'manifest.jsonl');
    const strict = await loadManifestDataset(manifest, { checkImages: false });
    expect(strict.skipBadImages).toBe(false);
    const err = await loadImageTensorCache(strict, 'train', 4, { skipBad: true }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^${escapeRe(manifest)}:3: path: ${escapeRe(join(root, 'images', 'dog.svg'))}: cannot decode image: .+; fix or replace the image, or set skipBadImages: true in the dataset config to leave bad images out$`,
      ),
    );
    const lenient = await loadManifestDataset(manifest, { checkImages: false, skipBadImages: true });
    expect((await loadImageTensorCache(lenient, 'train', 4, { skipBad: true })).skipped.map((s) => s.id)).toEqual([
      'img/svg/dog',
    ]);
  });
});

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

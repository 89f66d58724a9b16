import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadEmojiCatalog, packageVersion, SOURCE_PACKAGES, type EmojiEntry } from './catalog';
import { EMOJI_CLDR_LANGUAGES, FAMILIES, INTENTS, SLOT_LABELS, type Family } from './languages';
import { DEFAULT_SEED, formatCounts, planEmojiCldr, type EmojiCldrCounts } from './plan';
import type { HeaderRecord } from './records';
import { TEMPLATES } from './templates';
import { mapPool } from '../../../core/data/images';
import { flattenPng, renderOpenmoji, type RenderedImage } from './render';

/** Bump when the builder, the chunk templates or the output layout change: existing builds are then rebuilt. */
export const EMOJI_CLDR_FORMAT = 2; // 2: query subsets (seen / held-out templates and noise)
export const MANIFEST_FILE = 'manifest.jsonl';
export const COUNTS_FILE = 'counts.json';

export interface BuildEmojiCldrOptions {
  outDir?: string; // default <repo>/data/emoji-cldr
  force?: boolean; // rebuild even if a build of the same version exists
  log?: (line: string) => void;
  seed?: number; // split and query seed (default 13)
  concurrency?: number; // images rendered at once (default 4)
}

export interface BuildEmojiCldrResult {
  manifestPath: string;
  counts: Record<string, unknown>;
  skipped: boolean; // true when an up-to-date build was found
}

export function defaultEmojiCldrDir(): string {
  // __filename, not __dirname: tsx gives __dirname 'data:text' when an ESM script imports src/ without extension
  return resolve(dirname(__filename), '../../../../data/emoji-cldr');
}

/**
 * The build version written to the header: format + a hash of what the output depends on (source package
 * versions, seed, query templates, ICU version, since time phrases and word boundaries come from Intl).
 */
export function emojiCldrBuildVersion(seed = DEFAULT_SEED): string {
  const templates = Object.values(TEMPLATES).map((t) => [t.pre, t.post, t.intents, t.heldOut]);
  const deps = {
    pkgs: SOURCE_PACKAGES.map((p) => `${p}@${packageVersion(p)}`),
    seed,
    icu: process.versions.icu,
    languages: EMOJI_CLDR_LANGUAGES,
    templates,
  };
  return `${EMOJI_CLDR_FORMAT}+${createHash('sha1').update(JSON.stringify(deps)).digest('hex').slice(0, 8)}`;
}

/** The header line of a manifest, or undefined if the file is missing or does not start with one. */
export function readManifestHeader(manifestPath: string): HeaderRecord | undefined {
  if (!existsSync(manifestPath)) return undefined;
  const fd = openSync(manifestPath, 'r');
  const buf = Buffer.alloc(64 * 1024);
  let first: string;
  try {
    first = buf
      .subarray(0, readSync(fd, buf, 0, buf.length, 0))
      .toString('utf8')
      .split('\n')[0]!;
  } finally {
    closeSync(fd);
  }
  try {
    const h = JSON.parse(first) as HeaderRecord;
    return h?.type === 'header' ? h : undefined;
  } catch {
    return undefined;
  }
}

async function renderAll(
  entries: readonly EmojiEntry[],
  concurrency: number,
  log: (l: string) => void,
): Promise<Map<string, RenderedImage>> {
  const jobs: { family: Family; hexcode: string; source: string }[] = [];
  for (const e of entries)
    for (const family of FAMILIES)
      if (e.images[family]) jobs.push({ family, hexcode: e.hexcode, source: e.images[family]! });
  const out = new Map<string, RenderedImage>();
  let done = 0;
  await mapPool(jobs, concurrency, async (j) => {
    const img = j.family === 'openmoji' ? await renderOpenmoji(j.source) : await flattenPng(j.source);
    out.set(`${j.family}/${j.hexcode}`, img);
    if (++done % 1000 === 0 || done === jobs.length) log(`emoji-cldr: images ${done}/${jobs.length}`);
  });
  return out;
}

/** Sets of hexcodes whose images are pixel-identical within one family (twitter's families, openmoji's professions). */
export function identicalSets(images: ReadonlyMap<string, RenderedImage>): string[][] {
  const byHash = new Map<string, string[]>();
  for (const [key, img] of images) {
    const [family, hexcode] = key.split('/') as [string, string];
    const k = `${family}/${img.pixelHash}`;
    byHash.set(k, [...(byHash.get(k) ?? []), hexcode]);
  }
  return [...byHash.values()].filter((s) => s.length > 1);
}

/**
 * Builds emoji-cldr into `outDir` (default <repo>/data/emoji-cldr): images/<family>/<hexcode>.png (64×64 RGB on
 * white), manifest.jsonl (header, images, captions, chunks, queries) and counts.json. Idempotent: skips when
 * the manifest's header has the current build version, unless `force`. Atomic: builds in a sibling temp
 * directory and renames it into place.
 */
export async function buildEmojiCldr(opts: BuildEmojiCldrOptions = {}): Promise<BuildEmojiCldrResult> {
  const outDir = resolve(opts.outDir ?? defaultEmojiCldrDir());
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? DEFAULT_SEED;
  const manifestPath = join(outDir, MANIFEST_FILE);
  const version = emojiCldrBuildVersion(seed);
  if (!opts.force && readManifestHeader(manifestPath)?.version === version && existsSync(join(outDir, COUNTS_FILE))) {
    log(`emoji-cldr: ${manifestPath} is up to date (version ${version})`);
    return {
      manifestPath,
      counts: JSON.parse(readFileSync(join(outDir, COUNTS_FILE), 'utf8')) as Record<string, unknown>,
      skipped: true,
    };
  }
  const t0 = Date.now();
  const entries = loadEmojiCatalog(EMOJI_CLDR_LANGUAGES);
  log(
    `emoji-cldr: ${entries.length} emoji from emojibase-data ${packageVersion('emojibase-data')} (no flags, components, skin tones); rendering images`,
  );
  const rendered = await renderAll(entries, opts.concurrency ?? 4, log);
  const identical = identicalSets(rendered);
  const imageHashes = new Map([...rendered].map(([k, v]) => [k, v.pixelHash]));
  const plan = planEmojiCldr(entries, { seed, identical, imageHashes });
  log(`emoji-cldr: ${identical.length} sets of pixel-identical images merged into their concepts; writing ${outDir}`);

  mkdirSync(dirname(outDir), { recursive: true });
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  const old = `${outDir}.old-${process.pid}-${Date.now()}`;
  try {
    for (const f of FAMILIES) mkdirSync(join(tmp, 'images', f), { recursive: true });
    for (const img of plan.images)
      writeFileSync(join(tmp, img.path), rendered.get(`${img.family}/${img.hexcode}`)!.png);
    const header: HeaderRecord = {
      type: 'header',
      name: 'emoji-cldr',
      version,
      languages: [...EMOJI_CLDR_LANGUAGES],
      intents: [...INTENTS],
      slotLabels: [...SLOT_LABELS],
    };
    const lines: string[] = [JSON.stringify(header)];
    for (const { source: _s, hexcode: _h, ...r } of plan.images) lines.push(JSON.stringify(r));
    for (const r of plan.texts) lines.push(JSON.stringify(r));
    for (const { time: _t, ...r } of plan.queries) lines.push(JSON.stringify(r));
    writeFileSync(join(tmp, MANIFEST_FILE), lines.join('\n') + '\n');
    const counts: EmojiCldrCounts & { identicalSets: string[][]; version: string } = {
      version,
      ...plan.counts,
      identicalSets: identical,
    };
    writeFileSync(join(tmp, COUNTS_FILE), JSON.stringify(counts, null, 1) + '\n');
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(tmp, outDir);
    rmSync(old, { recursive: true, force: true });
    log(formatCounts(plan.counts));
    log(
      `emoji-cldr: built ${lines.length - 1} records in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${manifestPath}`,
    );
    return { manifestPath, counts: counts as unknown as Record<string, unknown>, skipped: false };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(outDir) && existsSync(old)) renameSync(old, outDir);
    throw e;
  }
}

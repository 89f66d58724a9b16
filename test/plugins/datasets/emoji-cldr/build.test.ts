import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildEmojiCldr,
  COUNTS_FILE,
  emojiCldrBuildVersion,
  identicalSets,
  MANIFEST_FILE,
  readManifestHeader,
} from '../../../../src/plugins/datasets/emoji-cldr/build';
import { loadEmojiCatalog } from '../../../../src/plugins/datasets/emoji-cldr/catalog';
import { flattenPng, renderOpenmoji } from '../../../../src/plugins/datasets/emoji-cldr/render';

const tmp = mkdtempSync(join(tmpdir(), 'emoji-cldr-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const dog = loadEmojiCatalog(['en']).find((e) => e.label.en === 'dog face')!;

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return {
    data,
    info,
    at: (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ],
  };
}

describe('emoji-cldr images', () => {
  it('renders an openmoji SVG to 64×64 RGB: glyph trimmed and fitted in the central 56 px, on white', async () => {
    const img = await renderOpenmoji(dog.images.openmoji!);
    const p = await pixels(img.png);
    expect([p.info.width, p.info.height, p.info.channels]).toEqual([64, 64, 3]);
    let minX = 64,
      maxX = -1,
      minY = 64,
      maxY = -1;
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        if (p.at(x, y).every((v) => v >= 250)) continue;
        [minX, maxX, minY, maxY] = [Math.min(minX, x), Math.max(maxX, x), Math.min(minY, y), Math.max(maxY, y)];
      }
    expect(minX).toBeGreaterThanOrEqual(4);
    expect(maxX).toBeLessThanOrEqual(59);
    expect(minY).toBeGreaterThanOrEqual(4);
    expect(maxY).toBeLessThanOrEqual(59);
    expect(Math.max(maxX - minX, maxY - minY)).toBeGreaterThanOrEqual(53); // fills the 56 px box along its long side
  });

  it('flattens google / twitter PNGs onto white; pixel hashes are equal exactly for identical pixels', async () => {
    const src = await sharp(dog.images.google!).raw().toBuffer({ resolveWithObject: true });
    expect(src.info.channels).toBe(4);
    expect(src.data[3]).toBe(0); // transparent corner in the source
    const a = await flattenPng(dog.images.google!);
    const p = await pixels(a.png);
    expect([p.info.width, p.info.height, p.info.channels]).toEqual([64, 64, 3]);
    expect(p.at(0, 0)).toEqual([255, 255, 255]);
    expect((await flattenPng(dog.images.google!)).pixelHash).toBe(a.pixelHash);
    expect((await flattenPng(dog.images.twitter!)).pixelHash).not.toBe(a.pixelHash);
  });

  it('finds sets of identical images per family only', () => {
    const img = (h: string) => ({ png: Buffer.alloc(0), pixelHash: h });
    const sets = identicalSets(
      new Map([
        ['google/A', img('x')],
        ['google/B', img('x')],
        ['twitter/A', img('y')],
        ['twitter/C', img('x')],
        ['openmoji/A', img('z')],
      ]),
    );
    expect(sets).toEqual([['A', 'B']]);
  });
});

describe('buildEmojiCldr', () => {
  it('skips a directory whose manifest header has the current build version (idempotent), reporting its counts', async () => {
    const dir = join(tmp, 'built');
    mkdirSync(dir, { recursive: true });
    const header = {
      type: 'header',
      name: 'emoji-cldr',
      version: emojiCldrBuildVersion(),
      languages: ['en'],
      intents: [],
      slotLabels: [],
    };
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(header) + '\n');
    writeFileSync(join(dir, COUNTS_FILE), JSON.stringify({ marker: 1 }));
    const lines: string[] = [];
    const r = await buildEmojiCldr({ outDir: dir, log: (l) => lines.push(l) });
    expect(r).toEqual({ manifestPath: join(dir, MANIFEST_FILE), counts: { marker: 1 }, skipped: true });
    expect(lines.join('\n')).toContain('up to date');
    expect(readManifestHeader(join(dir, MANIFEST_FILE))?.version).toBe(header.version);
    expect(readFileSync(join(dir, MANIFEST_FILE), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('versions builds by format, sources, seed and ICU', () => {
    expect(emojiCldrBuildVersion(13)).toMatch(/^\d+\+[0-9a-f]{8}$/);
    expect(emojiCldrBuildVersion(13)).toBe(emojiCldrBuildVersion(13));
    expect(emojiCldrBuildVersion(14)).not.toBe(emojiCldrBuildVersion(13));
    expect(readManifestHeader(join(tmp, 'missing', MANIFEST_FILE))).toBeUndefined();
    expect(existsSync(join(tmp, 'missing'))).toBe(false);
  });
});

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifestDataset } from '../../../src/core/data/load-manifest';

const VALID = 'test/fixtures/manifests/valid/manifest.jsonl';

describe('loadManifestDataset', () => {
  it('loads the valid fixture: header lists, absolute image files, splits in canonical order', async () => {
    const ds = await loadManifestDataset(VALID);
    expect(ds.name).toBe('tiny');
    expect(ds.version).toBe('1');
    expect(ds.root).toBe(resolve('test/fixtures/manifests/valid'));
    expect(ds.manifestPath).toBe(resolve(VALID));
    expect(ds.languages).toEqual(['en', 'de', 'ja']);
    expect(ds.intents).toEqual(['find_image', 'find_document', 'play_music']);
    expect(ds.slotLabels).toEqual(['object', 'time']);
    expect([ds.images.length, ds.texts.length, ds.queries.length]).toEqual([4, 9, 5]);
    expect(ds.images[0]!.file).toBe(resolve('test/fixtures/manifests/valid/images/dog.png'));
    expect(ds.splits()).toEqual(['train', 'test']);
    const train = ds.split('train');
    expect([train.name, train.images.length, train.texts.length, train.queries.length]).toEqual(['train', 3, 7, 4]);
    expect(ds.split('test').images.map((i) => i.id)).toEqual(['img/webp/fish']);
    expect(ds.warnings).toEqual([]);
  });

  it('an unknown split → UserError with a did-you-mean', async () => {
    const ds = await loadManifestDataset(VALID);
    expect(() => ds.split('tset')).toThrow(
      `split 'tset' is not in dataset 'tiny' (${resolve(VALID)}). Did you mean 'test'? Known: train, test`,
    );
  });

  it('languages keeps only texts and queries in those languages; an absent language is a UserError', async () => {
    const ds = await loadManifestDataset(VALID, { languages: ['de'] });
    expect(ds.languages).toEqual(['de']);
    expect(ds.texts.map((t) => t.id)).toEqual(['cap/dog/de/train', 'chunk/dog/de/train']);
    expect(ds.queries.map((q) => q.id)).toEqual(['q/dog/de/0/train']);
    expect(ds.images).toHaveLength(4);
    await expect(loadManifestDataset(VALID, { languages: ['fr'] })).rejects.toThrow(
      `languages: 'fr' is not in ${VALID}. It has: en, de, ja`,
    );
  });

  it('a bad manifest → UserError with the first problem and the count of the rest', async () => {
    const broken = 'test/fixtures/manifests/broken/manifest.jsonl';
    await expect(loadManifestDataset(broken)).rejects.toMatchObject({
      name: 'UserError',
      message: `${broken}:3: json: not valid JSON; write one JSON object per line (+28 more; 'unir data validate ${broken}' lists them all)`,
    });
  });

  it('skipBadImages turns missing/undecodable images into counted warnings', async () => {
    const root = mkdtempSync(join(tmpdir(), 'unir-ds-'));
    cpSync('test/fixtures/manifests/valid', root, { recursive: true });
    rmSync(join(root, 'images', 'cat.jpg'));
    const file = join(root, 'manifest.jsonl');
    await expect(loadManifestDataset(file)).rejects.toThrow(`${file}:4: path: file not found: images/cat.jpg`);
    const log: string[] = [];
    const ds = await loadManifestDataset(file, { skipBadImages: true, log: (l) => log.push(l) });
    expect(ds.warnings).toEqual([`${file}:4: path: file not found: images/cat.jpg`]);
    expect(ds.images.map((i) => i.id)).toEqual(['img/png/dog', 'img/svg/dog', 'img/webp/fish']);
    expect(log).toEqual([
      `unir: skipped 1 bad image(s) in ${file}; first: ${file}:4: path: file not found: images/cat.jpg`,
    ]);
  });
});

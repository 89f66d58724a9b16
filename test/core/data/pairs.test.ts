import { describe, expect, it } from 'vitest';
import { createDataset, type DatasetRecords } from '../../../src/core/data/dataset';
import { loadManifestDataset } from '../../../src/core/data/load-manifest';
import {
  captionChunkPairs,
  groupsOf,
  imageCaptionPairs,
  imageImagePairs,
  queryChunkPairs,
  queryImagePairs,
} from '../../../src/core/data/pairs';

const VALID = 'test/fixtures/manifests/valid/manifest.jsonl';

/** Brute force: every (a, b) with the same split and the same non-null group. */
type Rec = { id: string; split: string; group: string | null };
function oracle<A extends Rec, B extends Rec>(as: readonly A[], bs: readonly B[], ok = (_a: A, _b: B) => true) {
  const out: string[] = [];
  for (const a of as)
    for (const b of bs)
      if (a.group !== null && a.split === b.split && a.group === b.group && ok(a, b)) out.push(`${a.id}|${b.id}`);
  return out;
}

describe('groupsOf and pairs', () => {
  it('groupsOf: the members of each group, sorted by group', async () => {
    const train = (await loadManifestDataset(VALID)).split('train');
    const g = groupsOf(train);
    expect([...g.keys()]).toEqual(['cat', 'dog']);
    const dog = g.get('dog')!;
    expect(dog.images.map((i) => i.id)).toEqual(['img/png/dog', 'img/svg/dog']);
    expect(dog.captions.map((t) => t.lang)).toEqual(['en', 'de', 'ja']);
    expect(dog.chunks.map((t) => t.lang)).toEqual(['en', 'de']);
    expect(dog.queries.map((q) => q.id)).toEqual(['q/dog/en/0/train', 'q/dog/de/0/train']); // the group-less play_music query is in no group
  });

  it('every pair helper equals the brute-force same-split-same-group oracle', async () => {
    const ds = await loadManifestDataset(VALID);
    const captions = ds.texts.filter((t) => t.role === 'caption');
    const chunks = ds.texts.filter((t) => t.role === 'chunk');
    const ic = imageCaptionPairs(ds).map((p) => `${p.image.id}|${p.caption.id}`);
    expect(ic).toEqual(oracle(ds.images, captions));
    expect(ic).toHaveLength(2 * 3 + 1 + 1); // dog: 2 images × 3 captions, cat 1 × 1, fish (test) 1 × 1
    expect(captionChunkPairs(ds).map((p) => `${p.caption.id}|${p.chunk.id}`)).toEqual(oracle(captions, chunks));
    const same = captionChunkPairs(ds, { sameLanguage: true }).map((p) => `${p.caption.id}|${p.chunk.id}`);
    expect(same).toEqual(oracle(captions, chunks, (a, b) => a.lang === b.lang));
    expect(same).toHaveLength(4); // dog en, dog de, cat en, fish en
    expect(queryChunkPairs(ds).map((p) => `${p.query.id}|${p.chunk.id}`)).toEqual(oracle(ds.queries, chunks));
    expect(queryImagePairs(ds, { intents: ['find_image'] }).map((p) => `${p.query.id}|${p.image.id}`)).toEqual([
      'q/dog/en/0/train|img/png/dog',
      'q/dog/en/0/train|img/svg/dog',
      'q/fish/en/0/test|img/webp/fish',
    ]);
    expect(imageCaptionPairs(ds, { languages: ['ja'] }).map((p) => p.caption.id)).toEqual([
      'cap/dog/ja/train',
      'cap/dog/ja/train',
    ]);
  });

  it('never pairs across splits, even when a group appears in two', () => {
    const base = { group: 'g', line: 1 };
    const ds = createDataset({
      name: 'x',
      root: '/tmp',
      manifestPath: '/tmp/m.jsonl',
      records: [
        { ...base, type: 'image', id: 'i-train', split: 'train', path: 'a.png' },
        { ...base, type: 'image', id: 'i-test', split: 'test', path: 'b.png' },
        { ...base, type: 'text', id: 't-test', split: 'test', lang: 'en', role: 'caption', text: 'g' },
      ],
    });
    const r: DatasetRecords = ds;
    expect(imageCaptionPairs(r).map((p) => p.image.id)).toEqual(['i-test']);
    expect(ds.images[0]!.file).toBe('/tmp/a.png');
  });
});

describe('image-image pairs', () => {
  const img = (id: string, group: string, family: string | undefined, split = 'train') => ({
    type: 'image' as const,
    line: 1,
    id,
    group,
    split,
    path: `${id}.png`,
    file: `/x/${id}.png`,
    ...(family ? { family } : {}),
  });
  it('pair each image with the images of its group in other families (both orders), same split only', () => {
    const ds = createDataset({
      name: 't',
      root: '/x',
      manifestPath: '/x/m.jsonl',
      records: [
        img('a1', 'a', 'google'),
        img('a2', 'a', 'twitter'),
        img('a3', 'a', 'twitter'),
        img('b1', 'b', 'google'),
        img('a9', 'a', 'openmoji', 'test'),
      ],
    });
    const got = imageImagePairs(ds)
      .map((p) => `${p.image.id}|${p.other.id}`)
      .sort();
    expect(got).toEqual(['a1|a2', 'a1|a3', 'a2|a1', 'a3|a1']); // not a2|a3 (same family); b has one image; test's a9 is another split
  });
  it('without families, any other image of the group', () => {
    const ds = createDataset({
      name: 't',
      root: '/x',
      manifestPath: '/x/m.jsonl',
      records: [img('a1', 'a', undefined), img('a2', 'a', undefined)],
    });
    expect(imageImagePairs(ds).map((p) => `${p.image.id}|${p.other.id}`)).toEqual(['a1|a2', 'a2|a1']);
  });
});

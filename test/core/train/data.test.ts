import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bioLabels, bioTagSet } from '../../../src/core/data/bio';
import { createDataset, type DatasetQuery, type DatasetText } from '../../../src/core/data/dataset';
import type { Tokenizer } from '../../../src/core/text/tokenizer';
import { subsetRecords } from '../../../src/core/data/subset';
import { buildTrainData } from '../../../src/core/train/data';
import { BatchAssembler } from '../../../src/core/train/batch';
import { Rng } from '../../../src/core/rng';
import { createRegistry } from '../../../src/plugins';

const registry = createRegistry({ warn: () => {} });
const tokenizer = registry.create('tokenizer', 'word-ngram', { buckets: 512, pieces: 4, maxLength: 8 });
const tmp = mkdtempSync(join(tmpdir(), 'unir-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GROUPS = ['cat', 'dog', 'sun'];
let line = 0;
const text = (group: string, lang: string, role: 'caption' | 'chunk', t: string): DatasetText => ({
  type: 'text',
  id: `${role}/${group}/${lang}`,
  group,
  split: 'train',
  lang,
  role,
  text: t,
  line: ++line,
});
const query = (group: string | null, lang: string, t: string, intent: string, obj?: string): DatasetQuery => {
  const start = obj ? t.indexOf(obj) : -1;
  return {
    type: 'query',
    id: `q/${group}/${lang}/${line}`,
    group,
    split: 'train',
    lang,
    text: t,
    intent,
    line: ++line,
    slots: obj ? [{ label: 'object', start, end: start + obj.length }] : [],
    semanticText: obj ?? '',
  };
};

const dataset = createDataset({
  name: 'tiny',
  root: tmp,
  manifestPath: join(tmp, 'manifest.jsonl'),
  header: {
    type: 'header',
    name: 'tiny',
    languages: ['en', 'de'],
    intents: ['find_image', 'play_music'],
    slotLabels: ['object'],
  },
  records: [
    ...GROUPS.map((g, i) => ({
      type: 'image' as const,
      id: `img/${g}`,
      group: g,
      split: 'train',
      path: `${g}.png`,
      line: ++line + i,
    })),
    ...GROUPS.flatMap((g) => [
      text(g, 'en', 'caption', `${g} face`),
      text(g, 'de', 'caption', `${g} gesicht`),
      text(g, 'en', 'chunk', `a ${g} face, animal`),
      text(g, 'de', 'chunk', `ein ${g} gesicht, tier`),
      query(g, 'en', `show me a big ${g} picture`, 'find_image', `big ${g}`),
    ]),
    query(null, 'en', 'play some jazz', 'play_music'),
  ],
});

describe('buildTrainData', () => {
  it('builds pools of same-group pairs and BIO tags on the first token of each word', () => {
    const records = dataset.split('train');
    const images = { ids: GROUPS.map((g) => `img/${g}`), size: 2, data: new Float32Array(3 * 2 * 2 * 3) };
    const d = buildTrainData(records, {
      tokenizer,
      images,
      intents: dataset.intents,
      slotLabels: dataset.slotLabels,
      pairs: new Set(['image-caption', 'caption-chunk', 'query-chunk', 'query-nlu', 'query-semantic'] as const),
    });
    expect(d.pools['image-caption']!.size).toBe(6); // 3 images × 2 captions
    expect(d.pools['caption-chunk']!.size).toBe(12); // 6 captions × 2 chunks of the group (cross-lingual)
    expect(d.pools['query-chunk']!.size).toBe(6); // 3 grouped queries × 2 chunks
    expect(d.pools['query-nlu']!.size).toBe(4);
    expect(d.pools['query-semantic']!.size).toBe(3); // the music query has no semantic text
    const asm = new BatchAssembler(d, 4);
    const qc = asm.assemble('query-chunk', Int32Array.from([0, 2]));
    const words = (t: string) => tokenizer.encode([t]).words[0]!;
    // the pair's two sides are of one group: decode the chunk back by matching tokenizer ids
    const enc = tokenizer.encode(['a cat face, animal', 'ein cat gesicht, tier']);
    const row0 = [...qc.right!.ids.subarray(0, qc.right!.length * 4)];
    expect([...enc.ids.subarray(0, enc.length * 4)].slice(0, row0.length)).toEqual(row0);

    const nlu = asm.assemble('query-nlu', Int32Array.from([0, 3]));
    const tags = bioTagSet(dataset.slotLabels);
    const q0 = records.queries[0]!;
    const T = nlu.query!.length;
    const expected = bioLabels(q0.slots, words(q0.text)).map((t) => tags.indexOf(t));
    // token 0 is CLS; word w sits at token w + 1 (one token per word for word-ngram)
    expect([...nlu.slotLabels!.subarray(1, 1 + expected.length)]).toEqual(expected);
    expect([...nlu.slotMask!.subarray(0, T)]).toEqual([
      0,
      ...expected.map(() => 1),
      ...Array(T - 1 - expected.length).fill(0),
    ]);
    expect(expected).toEqual([0, 0, 0, 1, 2, 0]); // show me a [big cat] picture
    expect([...nlu.intent!]).toEqual([0, 1]);

    // captionsPerImage: each example's own caption first, then the group's other captions (both languages here)
    const pool = d.pools['image-caption']!;
    const asm3 = new BatchAssembler(d, 4, 3);
    const ic = asm3.assemble('image-caption', Int32Array.from([0, 3]), 3, new Rng(1));
    expect(ic.captionsPerImage).toBe(3);
    expect(ic.right!.batch).toBe(6);
    const rowOf = (k: number) =>
      [...ic.right!.ids.subarray(k * ic.right!.length * 4, (k + 1) * ic.right!.length * 4)].join();
    const textRow = (r: number) => {
      const one = new BatchAssembler(d, 1).assemble(
        'image-caption',
        Int32Array.from([[...pool.right.keys()].find((i) => pool.right[i] === r)!]),
      );
      return [...one.right!.ids].concat(Array(ic.right!.length * 4 - one.right!.ids.length).fill(0)).join();
    };
    const groupRows = (e: number) => new Set([...pool.right].filter((_, i) => pool.group[i] === pool.group[e]));
    [0, 3].forEach((e, n) => {
      expect(rowOf(n * 3)).toBe(textRow(pool.right[e]!)); // own caption first
      const rows = groupRows(e);
      expect(rows.size).toBe(2); // a group with 2 captions: the other one, then a repeat
      for (let j = 1; j < 3; j++) expect([...rows].some((r) => rowOf(n * 3 + j) === textRow(r))).toBe(true);
      expect(rowOf(n * 3 + 1)).not.toBe(rowOf(n * 3));
    });
  });

  it('caches token tables on disk: a second build reads them, another tokenizer config misses', () => {
    const cacheDir = join(tmp, '.cache');
    const o = {
      tokenizer,
      intents: dataset.intents,
      slotLabels: dataset.slotLabels,
      pairs: new Set(['caption-chunk', 'query-nlu'] as const),
    };
    const a = buildTrainData(dataset.split('train'), {
      ...o,
      cache: { dir: cacheDir, tokenizer: { id: 'word-ngram', buckets: 512 } },
    });
    expect(readdirSync(cacheDir).filter((f) => f.startsWith('tokens-'))).toHaveLength(2);
    const b = buildTrainData(dataset.split('train'), {
      ...o,
      cache: { dir: cacheDir, tokenizer: { id: 'word-ngram', buckets: 512 } },
    });
    for (const k of ['ids', 'mask', 'wordIndex', 'firstPiece', 'tokens'] as const)
      expect(b.texts[k]).toEqual(a.texts[k]);
    for (const k of ['intent', 'slotLabels', 'slotMask', 'ids'] as const) expect(b.queries![k]).toEqual(a.queries![k]);
    buildTrainData(dataset.split('train'), {
      ...o,
      cache: { dir: cacheDir, tokenizer: { id: 'word-ngram', buckets: 1024 } },
    });
    expect(readdirSync(cacheDir).filter((f) => f.startsWith('tokens-'))).toHaveLength(4);
  });

  it('subsets a split to at most N groups, stably, and keeps group-less queries in proportion', () => {
    const a = subsetRecords(dataset.split('train'), { maxGroups: 2, seed: 1 });
    const groups = new Set(a.texts.map((t) => t.group));
    expect(groups.size).toBe(2);
    expect(new Set(a.images.map((i) => i.group))).toEqual(groups);
    expect(a.queries.every((q) => q.group === null || groups.has(q.group))).toBe(true);
    expect(subsetRecords(dataset.split('train'), { maxGroups: 2, seed: 1 })).toEqual(a);
    const de = subsetRecords(dataset.split('train'), { languages: ['de'], seed: 1 });
    expect(de.texts.every((t) => t.lang === 'de')).toBe(true);
    expect(de.queries).toEqual([]);
  });
});

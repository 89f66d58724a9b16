import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmojiCatalog, packageDir, type EmojiEntry } from '../../../../src/plugins/datasets/emoji-cldr/catalog';
import { buildConcepts, conceptKey, conceptSplit } from '../../../../src/plugins/datasets/emoji-cldr/groups';
import { planEmojiCldr, splitsOf, type EmojiCldrPlan } from '../../../../src/plugins/datasets/emoji-cldr/plan';

let catalog: EmojiEntry[];
let plan: EmojiCldrPlan;
beforeAll(() => {
  catalog = loadEmojiCatalog();
  plan = planEmojiCldr(catalog, { seed: 13, queries: false });
});

describe('emoji-cldr catalog', () => {
  it('keeps base emoji only: no flags, no components, no skin-tone variants, no regional indicators', () => {
    const raw = JSON.parse(readFileSync(join(packageDir('emojibase-data'), 'en', 'data.json'), 'utf8')) as {
      hexcode: string;
      group?: number;
    }[];
    const dropped = new Set(
      raw.filter((e) => e.group === undefined || e.group === 2 || e.group === 9).map((e) => e.hexcode),
    );
    expect(dropped.size).toBe(26 + 9 + 270); // regional indicators, components, flags
    expect(catalog.length).toBe(raw.length - dropped.size);
    for (const e of catalog) {
      expect(dropped.has(e.hexcode), e.hexcode).toBe(false);
      expect(e.hexcode).not.toMatch(/1F3F[B-F]/); // skin tone modifiers
    }
  });

  it('has a label in all 12 languages and an openmoji SVG for every emoji; google/twitter lack only the newest', () => {
    for (const e of catalog) {
      expect(Object.keys(e.label)).toHaveLength(12);
      expect(e.images.openmoji, e.hexcode).toBeDefined();
    }
    const noTrain = catalog.filter((e) => !e.images.google && !e.images.twitter);
    expect(noTrain.map((e) => e.label.en)).toContain('treasure chest');
    expect(noTrain.length).toBeLessThan(20);
  });
});

describe('concept groups', () => {
  it('collapses gendered variants, family/couple member lists and facing-right variants', () => {
    expect(conceptKey('man farmer')).toBe('farmer');
    expect(conceptKey('woman farmer')).toBe('farmer');
    expect(conceptKey('farmer')).toBe('farmer');
    expect(conceptKey('family: man, woman, boy')).toBe('family');
    expect(conceptKey('kiss: woman, man')).toBe('kiss');
    expect(conceptKey('person running: facing right')).toBe('running');
    expect(conceptKey('man: bald')).toBe('bald');
    expect(conceptKey('dog face')).toBe('dog face');
    expect(conceptKey('man')).toBe('man');
  });

  it('puts every emoji in exactly one concept, and near-duplicates together', () => {
    const owner = new Map<string, string>();
    for (const c of plan.concepts)
      for (const m of c.members) {
        expect(owner.has(m.hexcode), m.hexcode).toBe(false);
        owner.set(m.hexcode, c.id);
      }
    expect(owner.size).toBe(catalog.length);
    const byLabel = (l: string) => owner.get(catalog.find((e) => e.label.en === l)!.hexcode);
    expect(byLabel('man farmer')).toBe('farmer');
    expect(byLabel('woman farmer')).toBe('farmer');
    expect(byLabel('family: woman, girl')).toBe('family');
    expect(new Set(plan.concepts.map((c) => c.id)).size).toBe(plan.concepts.length);
  });

  it('merges concepts whose images are pixel-identical', () => {
    const dog = catalog.find((e) => e.label.en === 'dog face')!.hexcode;
    const cat = catalog.find((e) => e.label.en === 'cat face')!.hexcode;
    const merged = buildConcepts(catalog, { seed: 13, identical: [[dog, cat]] });
    expect(merged.length).toBe(plan.concepts.length - 1);
    const c = merged.find((x) => x.members.some((m) => m.hexcode === dog))!;
    expect(c.members.map((m) => m.hexcode)).toContain(cat);
  });

  it('splits ~72/8/20 by concept, deterministically, with openmoji-only concepts unseen', () => {
    const n = plan.concepts.length;
    const frac = (s: string) => plan.concepts.filter((c) => c.split === s).length / n;
    expect(frac('unseen')).toBeGreaterThan(0.16);
    expect(frac('unseen')).toBeLessThan(0.25);
    expect(frac('val')).toBeGreaterThan(0.05);
    expect(frac('val')).toBeLessThan(0.12);
    for (const c of plan.concepts) {
      expect(c.split).toBe(
        conceptSplit(
          c.id,
          13,
          c.members.some((m) => m.images.google || m.images.twitter),
        ),
      );
      if (c.members.every((m) => !m.images.google && !m.images.twitter)) expect(c.split).toBe('unseen');
    }
    const again = buildConcepts(catalog, { seed: 13 });
    expect(again.map((c) => `${c.id}:${c.split}`)).toEqual(plan.concepts.map((c) => `${c.id}:${c.split}`));
    const other = buildConcepts(catalog, { seed: 14 });
    expect(other.map((c) => c.split)).not.toEqual(plan.concepts.map((c) => c.split));
  });
});

describe('emoji-cldr plan', () => {
  it('never lets a group straddle train / val / test-unseen', () => {
    const splits = new Map<string, Set<string>>();
    for (const r of [...plan.images, ...plan.texts])
      splits.set(r.group, (splits.get(r.group) ?? new Set()).add(r.split));
    for (const c of plan.concepts) {
      const s = [...(splits.get(c.id) ?? [])].sort();
      expect(s, c.id).toEqual(
        splitsOf(c)
          .map((x) => x.split)
          .sort(),
      );
      const exclusive = s.filter((x) => x !== 'test');
      expect(exclusive.length, c.id).toBe(1);
    }
  });

  it('uses openmoji images only in the test splits, and only openmoji there', () => {
    for (const img of plan.images) {
      const testSplit = img.split === 'test' || img.split === 'test-unseen';
      expect(img.family === 'openmoji', img.id).toBe(testSplit);
    }
    const perSplit = (s: string) => plan.images.filter((i) => i.split === s).length;
    for (const s of ['train', 'val', 'test', 'test-unseen']) expect(perSplit(s), s).toBeGreaterThan(0);
  });

  it('writes unique ids, and leaves out the French label shared by trombone and paperclip for the newer emoji', () => {
    const ids = [...plan.images, ...plan.texts].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const trombone = catalog.find((e) => e.label.en === 'trombone')!.hexcode;
    const paperclip = catalog.find((e) => e.label.en === 'paperclip')!.hexcode;
    expect(plan.counts.ambiguousLabels).toEqual([`fr/${trombone}`]);
    const frCaptions = plan.texts.filter((t) => t.lang === 'fr' && t.role === 'caption' && t.text === 'trombone');
    expect(frCaptions.length).toBeGreaterThan(0);
    expect(new Set(frCaptions.map((t) => t.id.split('/')[1]))).toEqual(new Set([paperclip]));
  });

  it('drops an image identical to one already in its concept and family', () => {
    const c = plan.concepts.find((x) => x.split !== 'unseen' && x.members.filter((m) => m.images.google).length >= 2)!;
    const [a, b] = c.members.filter((m) => m.images.google);
    const hashes = new Map([
      [`google/${a!.hexcode}`, 'x'],
      [`google/${b!.hexcode}`, 'x'],
    ]);
    const p = planEmojiCldr(catalog, { seed: 13, queries: false, imageHashes: hashes });
    expect(p.counts.droppedDuplicateImages).toBe(1);
    expect(p.images.some((i) => i.id === `img/google/${b!.hexcode}`)).toBe(false);
    expect(p.images.some((i) => i.id === `img/google/${a!.hexcode}`)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import {
  chanceScores,
  type BaselineImages,
  type BaselineInputs,
  type BaselineInstance,
} from '../../../src/core/eval/baseline';
import { Rng } from '../../../src/core/rng';
import { createRegistry } from '../../../src/plugins';

const registry = createRegistry({ warn: () => {} });
const make = (id: string, cfg: Record<string, unknown> = {}) => registry.create('baseline', id, cfg);

/** n images of S×S in [0, 1] for the given groups (seeded), each a noisy copy of its group's template. */
function images(groups: string[], S: number, seed: number, templates: Map<string, Float32Array>): BaselineImages {
  const r = new Rng(seed);
  const d = S * S * 3;
  const data = new Float32Array(groups.length * d);
  groups.forEach((g, i) => {
    let t = templates.get(g);
    if (!t) templates.set(g, (t = Float32Array.from({ length: d }, () => r.next())));
    for (let j = 0; j < d; j++) data[i * d + j] = Math.min(1, Math.max(0, t[j]! + (r.next() - 0.5) * 0.9));
  });
  return { ids: groups.map((g, i) => `${g}/${seed}/${i}`), groups, size: S, data };
}

function fixture() {
  const templates = new Map<string, Float32Array>();
  const train = images(['a', 'a', 'b', 'c', 'c', 'd', 'e'], 4, 1, templates);
  const split = images(['a', 'b', 'b', 'c', 'd', 'e', 'e'], 4, 2, templates);
  const captions = ['a', 'b', 'c', 'd', 'e', 'f'].flatMap((g) => ['en', 'de'].map((lang) => ({ group: g, lang })));
  captions.push({ group: 'a', lang: 'en' }); // a second English caption of a
  const inputs: BaselineInputs = {
    split: 'test',
    images: split.ids.map((id, i) => ({ id, group: split.groups[i]! })),
    trainImages: async () => train,
    splitImages: async () => split,
    captions,
    chunks: captions.map((c) => ({ ...c })),
    queries: [
      { group: 'a', lang: 'en' },
      { group: null, lang: 'en' },
      { group: 'c', lang: 'de' },
    ],
  };
  return { train, split, captions, inputs };
}

/** The definition, brute force: score(image, g) = max cosine to g's training images on mean-centred pixels. */
function oracle({ train, split, captions }: ReturnType<typeof fixture>) {
  const d = 4 * 4 * 3;
  const mean = Array.from(
    { length: d },
    (_, j) => train.groups.reduce((a, _g, i) => a + train.data[i * d + j]!, 0) / train.groups.length,
  );
  const vec = (im: BaselineImages, i: number) => {
    const v = Array.from({ length: d }, (_, j) => im.data[i * d + j]! - mean[j]!);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const score = (i: number, g: string) =>
    Math.max(
      -Infinity,
      ...train.groups.flatMap((tg, t) =>
        tg === g ? [vec(split, i).reduce((a, x, j) => a + x * vec(train, t)[j]!, 0)] : [],
      ),
    );
  const firstRank = (rel: boolean[], s: number[]) => {
    const best = Math.max(...s.filter((_, k) => rel[k]));
    return 1 + s.filter((x, k) => !rel[k] && x >= best).length;
  };
  const r10 = (ranks: number[]) => ranks.filter((r) => r <= 10).length / ranks.length;
  const r1 = (ranks: number[]) => ranks.filter((r) => r <= 1).length / ranks.length;
  const out: Record<string, Record<string, { r1: number; r10: number }>> = { t2i: {}, i2t: {} };
  for (const lang of ['en', 'de']) {
    const caps = captions.filter((c) => c.lang === lang && split.groups.includes(c.group));
    const t = caps.map((c) =>
      firstRank(
        split.groups.map((g) => g === c.group),
        split.groups.map((_, i) => score(i, c.group)),
      ),
    );
    const allCaps = captions.filter((c) => c.lang === lang);
    const it = split.groups.map((g, i) =>
      firstRank(
        allCaps.map((c) => c.group === g),
        allCaps.map((c) => score(i, c.group)),
      ),
    );
    out.t2i![lang] = { r1: r1(t), r10: r10(t) };
    out.i2t![lang] = { r1: r1(it), r10: r10(it) };
  }
  return out;
}

describe('baselines', () => {
  it("pixel-knn equals the brute-force definition (max cosine to a group's training images, mean-centred pixels) per language", async () => {
    const f = fixture();
    const got = await make('pixel-knn', { size: 4 }).compute(f.inputs);
    const want = oracle(f);
    for (const task of ['t2i', 'i2t'] as const) {
      for (const lang of ['en', 'de']) {
        expect(got[task]![lang]!['R@1'], `${task} ${lang}`).toBeCloseTo(want[task]![lang]!.r1, 12);
        expect(got[task]![lang]!['R@10']).toBeCloseTo(want[task]![lang]!.r10, 12);
      }
      expect(got[task]!.mean!['R@1']).toBeCloseTo((want[task]!.en!.r1 + want[task]!.de!.r1) / 2, 12);
    }
    // the fixture's noisy copies are mostly found: far above chance (which a broken scorer would sit at)
    const ch = await make('chance').compute(f.inputs);
    expect(got.t2i!.mean!['R@1']).toBeGreaterThan(ch.t2i!.mean!['R@1'] + 0.3);
  });

  it('a group without training images ranks last (−∞): no pixel lookup for unseen concepts', async () => {
    const f = fixture();
    f.inputs.trainImages = async () => ({ ...f.train, groups: f.train.groups.map((g) => (g === 'e' ? 'z' : g)) });
    const got = await make('pixel-knn', { size: 4 }).compute(f.inputs);
    expect(got.t2i!.en!['R@1']).toBeLessThan(1);
  });

  it('chance equals the expectation over every ordering, by enumeration', () => {
    const perms = (xs: number[]): number[][] =>
      xs.length <= 1
        ? [xs]
        : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    const cases = [
      { n: 6, r: 2 },
      { n: 5, r: 1 },
      { n: 4, r: 4 },
      { n: 6, r: 3 },
    ];
    for (const { n, r } of cases) {
      const all = perms([...Array(n).keys()]);
      const firsts = all.map((p) => p.findIndex((x) => x < r) + 1);
      const mean = (f: (k: number) => number) => firsts.reduce((a, k) => a + f(k), 0) / firsts.length;
      const s = chanceScores([{ n, r }])!;
      expect(s['R@1']).toBeCloseTo(
        mean((k) => +(k <= 1)),
        12,
      );
      expect(s['R@5']).toBeCloseTo(
        mean((k) => +(k <= 5)),
        12,
      );
      expect(s.mrr).toBeCloseTo(
        mean((k) => 1 / k),
        12,
      );
      const sorted = [...firsts].sort((a, b) => a - b);
      expect(s.medianRank).toBe(sorted.find((_, i) => (i + 1) / sorted.length >= 0.5));
    }
  });

  it("chance per task uses metrics.retrieval's candidates: t2i over the split's images, i2t over a language's captions, t2t over same-language chunks", async () => {
    const f = fixture();
    const got = await make('chance').compute(f.inputs);
    // t2i en: captions a, a, b, c, d, e (f has no image): 7 images, relevant 1, 2, 1, 1, 2 → R@1 = mean(r/7)
    expect(got.t2i!.en!['R@1']).toBeCloseTo((1 + 1 + 2 + 1 + 1 + 2) / 7 / 6, 12);
    expect(got.t2i!.en!.n).toBe(6);
    // i2t de: 7 images over 6 German captions, one relevant each
    expect(got.i2t!.de!['R@1']).toBeCloseTo(1 / 6, 12);
    // t2t: the group-less query is not counted
    expect(got.t2t!.en!.n).toBe(1);
    expect(got.t2t!.en!['R@1']).toBeCloseTo(2 / 7, 12);
  });
});

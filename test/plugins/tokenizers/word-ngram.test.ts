import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors';
import { wordPieceIds } from '../../../src/core/text/char-ngrams';
import { fnv1a32 } from '../../../src/core/text/hash';
import type { Tokenizer } from '../../../src/core/text/tokenizer';
import { Registry } from '../../../src/core/registry';
import { BUILTIN_TOKENIZERS } from '../../../src/plugins/tokenizers';
import { LANGS, SENTENCES } from '../../core/text/sentences';

const registry = new Registry();
for (const p of BUILTIN_TOKENIZERS) registry.register(p);
const make = (config: object = {}) => registry.create('tokenizer', 'word-ngram', config);
const tok = make();
const G = 12;
const bag = (b: ReturnType<Tokenizer['encode']>, row: number, t: number) => [
  ...b.ids.subarray((row * b.length + t) * b.pieces, (row * b.length + t + 1) * b.pieces),
];

describe('word-ngram', () => {
  it('parses {} to its documented defaults and reports its sizes', () => {
    expect(registry.parseConfig('tokenizer', 'word-ngram', {})).toEqual({
      buckets: 32768,
      minN: 2,
      maxN: 4,
      pieces: 12,
      maxLength: 32,
      lowercase: true,
    });
    expect([tok.id, tok.vocabSize, tok.pieces, tok.maxLength, tok.padId, tok.clsId]).toEqual([
      'word-ngram',
      32770,
      12,
      32,
      0,
      1,
    ]);
  });

  it('rejects minN > maxN with the field path', () => {
    expect(() => registry.parseConfig('tokenizer', 'word-ngram', { minN: 5, maxN: 3 }, 'tokenizer')).toThrow(UserError);
    expect(() => registry.parseConfig('tokenizer', 'word-ngram', { minN: 5, maxN: 3 }, 'tokenizer')).toThrow(
      'tokenizer.minN: minN must be ≤ maxN',
    );
  });

  it('encodes 12 languages: shapes, CLS at 0, mask, ids in range, word offsets on the original text', () => {
    const texts = LANGS.map((l) => SENTENCES[l]!);
    const b = tok.encode(texts, LANGS);
    const nWords = LANGS.map((l, i) => tok.words(texts[i]!, l).length);
    expect(b.batch).toBe(12);
    expect(b.pieces).toBe(G);
    expect(b.length).toBe(1 + Math.max(...nWords));
    expect(b.ids).toHaveLength(12 * b.length * G);
    for (const [i, lang] of LANGS.entries()) {
      const words = b.words[i]!;
      expect(words).toEqual(tok.words(texts[i]!, lang));
      expect(words.length, lang).toBeGreaterThan(3); // zh, ja, th, too: split without spaces
      for (const w of words) expect(texts[i]!.slice(w.start, w.end)).toBe(w.text);
      expect(bag(b, i, 0)).toEqual([1, ...Array(G - 1).fill(0)]);
      for (let t = 0; t < b.length; t++) {
        const real = t >= 1 && t <= words.length;
        expect(b.mask[i * b.length + t]).toBe(t === 0 || real ? 1 : 0);
        expect(b.wordIndex[i * b.length + t]).toBe(real ? t - 1 : -1);
        expect(b.firstPiece[i * b.length + t]).toBe(real ? 1 : 0);
        const ids = bag(b, i, t);
        if (!real && t > 0) expect(ids).toEqual(Array(G).fill(0));
        if (real) {
          expect(ids[0]).toBe(2 + (fnv1a32(`<${words[t - 1]!.text.normalize('NFKC').toLowerCase()}>`) % 32768)); // whole word first
          for (const id of ids) expect(id === 0 || (id >= 2 && id < tok.vocabSize)).toBe(true);
          const real_ = ids.filter((x) => x !== 0);
          expect(new Set(real_).size).toBe(real_.length);
          expect(ids.slice(real_.length)).toEqual(Array(G - real_.length).fill(0)); // pads only at the end
        }
      }
    }
  });

  it('each token is the word’s n-gram bag, padded to G with 0', () => {
    const b = tok.encode(['A cat'], ['en']);
    expect(b.length).toBe(3);
    const spec = { minN: 2, maxN: 4, maxPieces: G, buckets: 32768, offset: 2 };
    expect(bag(b, 0, 1)).toEqual([...wordPieceIds('a', spec), ...Array(G - 3).fill(0)]); // <a> <a a>
    expect(bag(b, 0, 2)).toEqual([...wordPieceIds('cat', spec), 0, 0]); // 10 pieces
  });

  it('truncates to the first maxLength - 1 words', () => {
    const short = make({ maxLength: 4 });
    const b = short.encode([SENTENCES.en!, SENTENCES.zh!, 'one'], ['en', 'zh', 'en']);
    expect(b.length).toBe(4);
    expect(b.words.map((w) => w.map((x) => x.text))).toEqual([
      ['Show', 'me', 'photos'],
      ['给', '我看', '上个'],
      ['one'],
    ]);
    expect([...b.mask]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('is deterministic across calls and instances; lower-cases and NFKC-folds unless told not to', () => {
    const a = tok.encode(['Dog photos', 'ＤＯＧ PHOTOS']);
    expect(make().encode(['Dog photos']).ids).toEqual(tok.encode(['Dog photos']).ids);
    expect(bag(a, 0, 1)).toEqual(bag(a, 1, 1));
    expect(bag(a, 0, 2)).toEqual(bag(a, 1, 2));
    const cased = make({ lowercase: false }).encode(['Dog dog']);
    expect(bag(cased, 0, 1)).not.toEqual(bag(cased, 0, 2));
  });

  it('different words get different bags', () => {
    const words = ['dog', 'dogs', 'cat', 'Hund', 'chien', 'собака', '狗', '犬', '강아지', 'कुत्ता', 'สุนัข', 'photo'];
    const b = tok.encode([words.join(' ')], ['en']);
    const bags = words.map((_, i) => bag(b, 0, i + 1).join(','));
    expect(new Set(bags).size).toBe(words.length);
  });

  it('smaller G and buckets shrink bags and ids; empty texts are just CLS', () => {
    const t = make({ pieces: 3, buckets: 100 });
    expect(t.vocabSize).toBe(102);
    const b = t.encode(['photographs', ''], ['en', 'en']);
    expect([b.length, b.pieces]).toEqual([2, 3]);
    const ids = bag(b, 0, 1);
    expect(ids.every((id) => id >= 2 && id < 102)).toBe(true);
    expect([...b.mask]).toEqual([1, 1, 1, 0]);
    expect(b.words[1]).toEqual([]);
    expect(t.encode([]).batch).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { charNgrams, wordPieceIds, type NgramSpec } from '../../../src/core/text/char-ngrams';
import { fnv1a32 } from '../../../src/core/text/hash';

const spec = (o: Partial<NgramSpec> = {}): NgramSpec => ({
  minN: 2,
  maxN: 4,
  maxPieces: 12,
  buckets: 1 << 15,
  offset: 2,
  ...o,
});
const bucket = (s: string, sp: NgramSpec) => sp.offset + (fnv1a32(s) % sp.buckets);

/** Brute force: whole word + unique n-gram buckets; bottom-(G-1) by hash when too many. */
function oracle(word: string, sp: NgramSpec): number[] {
  const whole = bucket(`<${word}>`, sp);
  const grams: { id: number; h: number; i: number }[] = [];
  const seen = new Set([whole]);
  charNgrams(word, sp.minN, sp.maxN).forEach((g, i) => {
    const id = bucket(g, sp);
    if (!seen.has(id)) grams.push({ id, h: fnv1a32(g), i });
    seen.add(id);
  });
  const kept =
    grams.length < sp.maxPieces
      ? grams
      : [...grams]
          .sort((a, b) => a.h - b.h)
          .slice(0, sp.maxPieces - 1)
          .sort((a, b) => a.i - b.i);
  return [whole, ...kept.map((g) => g.id)];
}

describe('charNgrams', () => {
  it('lists the n-grams of <word> by size then position, without the whole <word>', () => {
    expect(charNgrams('dog', 2, 4)).toEqual(['<d', 'do', 'og', 'g>', '<do', 'dog', 'og>', '<dog', 'dog>']);
    expect(charNgrams('狗', 2, 4)).toEqual(['<狗', '狗>']);
    expect(charNgrams('𠀀a', 2, 2)).toEqual(['<𠀀', '𠀀a', 'a>']); // code points, not UTF-16 units
  });
});

describe('wordPieceIds', () => {
  it('short words keep the whole word and every n-gram', () => {
    const sp = spec();
    expect([...wordPieceIds('dog', sp)]).toEqual(oracle('dog', sp));
    expect(wordPieceIds('dog', sp)).toHaveLength(10);
    expect([...wordPieceIds('dog', sp)][0]).toBe(bucket('<dog>', sp));
    expect([...wordPieceIds('狗', sp)]).toEqual([bucket('<狗>', sp), bucket('<狗', sp), bucket('狗>', sp)]);
  });

  it('long words keep the whole word plus the G - 1 n-grams with the smallest hashes, in n-gram order', () => {
    for (const w of ['photographs', 'фотографии', 'zdjęcia', 'तस्वीरें', 'สุนัข', '𠀀𠀁𠀂𠀃𠀄']) {
      for (const G of [1, 4, 12]) {
        const sp = spec({ maxPieces: G });
        const ids = [...wordPieceIds(w, sp)];
        expect(ids).toEqual(oracle(w, sp).slice(0, G));
        expect(ids.length).toBeLessThanOrEqual(G);
        expect(new Set(ids).size).toBe(ids.length);
      }
    }
  });

  it('ids lie in [offset, offset + buckets), and tiny tables dedupe colliding n-grams', () => {
    const sp = spec({ buckets: 5, offset: 2 });
    const ids = [...wordPieceIds('photographs', sp)];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeLessThanOrEqual(5);
    for (const id of ids) expect(id >= 2 && id < 7).toBe(true);
  });

  it('related words share pieces; unrelated ones barely do', () => {
    const sp = spec();
    const share = (a: string, b: string) =>
      [...wordPieceIds(a, sp)].filter((x) => wordPieceIds(b, sp).includes(x)).length;
    expect(share('dogs', 'dog')).toBeGreaterThanOrEqual(5); // <d do og <do dog
    expect(share('hund', 'hunde')).toBeGreaterThanOrEqual(5);
    expect(share('dog', 'cat')).toBe(0);
  });
});

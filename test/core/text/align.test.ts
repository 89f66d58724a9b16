import { describe, expect, it } from 'vitest';
import { alignByPrefixes, foldForAlignment } from '../../../src/core/text/align';

const spans = (a: Int32Array) => Array.from({ length: a.length / 2 }, (_, k) => [a[2 * k]!, a[2 * k + 1]!]);
const cumulative = (pieces: string[]) => pieces.map((_, k) => pieces.slice(0, k + 1).join(''));

describe('foldForAlignment', () => {
  it('ignores case, accents, spaces and final sigma, as tokenizer normalisers do', () => {
    expect(foldForAlignment('Café Ünïcode ΟΔΟΣ')).toBe(foldForAlignment('cafe unicode οδος'));
    expect(foldForAlignment('ＡＢＣ ﬁ')).toBe('abcfi');
  });
});

describe('alignByPrefixes', () => {
  it('WordPiece-like decodes (lower-cased, accents stripped, spaces moved) map back to the original text', () => {
    const text = 'Café, Unhappy pictures';
    const prefixes = [
      'cafe',
      'cafe,',
      'cafe, un',
      'cafe, unhappy',
      'cafe, unhappy pic',
      'cafe, unhappy picture',
      'cafe, unhappy pictures',
    ];
    const s = spans(alignByPrefixes(text, prefixes));
    expect(s).toEqual([
      [0, 4],
      [4, 5],
      [6, 8],
      [8, 13],
      [14, 17],
      [17, 21],
      [21, 22],
    ]);
    expect(s.map(([a, b]) => text.slice(a, b))).toEqual(['Café', ',', 'Un', 'happy', 'pic', 'ture', 's']);
  });

  it('CJK chars spaced apart by the normaliser still align', () => {
    const text = '狗的照片';
    expect(spans(alignByPrefixes(text, cumulative(['狗', ' 的', ' 照', ' 片'])))).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
  });

  it('a byte-level token ending inside a character (U+FFFD) shares the next token span', () => {
    const text = 'a𠀀b';
    expect(spans(alignByPrefixes(text, ['a', 'a\ufffd', 'a𠀀', 'a𠀀b']))).toEqual([
      [0, 1],
      [1, 3],
      [1, 3],
      [3, 4],
    ]);
  });

  it('the unknown token (a wildcard) takes the text it replaced', () => {
    const text = 'Hund xyz, dog';
    const prefixes = ['hund', 'hund [UNK]', 'hund [UNK],', 'hund [UNK], dog'];
    expect(spans(alignByPrefixes(text, prefixes, (k) => k === 1))).toEqual([
      [0, 4],
      [5, 8],
      [8, 9],
      [10, 13],
    ]);
    // a trailing wildcard takes the rest of the text
    expect(spans(alignByPrefixes('dog xyz', ['dog', 'dog [UNK]'], (k) => k === 1))).toEqual([
      [0, 3],
      [4, 7],
    ]);
  });

  it('consecutive wildcards split their gap in order: by word and punctuation, by CJK character', () => {
    const all = (n: number) => () => true;
    const unk = (n: number) =>
      Array.from({ length: n }, (_, k) =>
        Array(k + 1)
          .fill('[UNK]')
          .join(' '),
      );
    expect(spans(alignByPrefixes('mio cane, scorso', unk(4), all(4)))).toEqual([
      [0, 3],
      [4, 8],
      [8, 9],
      [10, 16],
    ]);
    expect(spans(alignByPrefixes('先月の犬', unk(4), all(4)))).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    expect(spans(alignByPrefixes('先月の犬', unk(2), all(2)))).toEqual([
      [0, 2],
      [2, 4],
    ]);
    expect(spans(alignByPrefixes('ab cd', unk(3), all(3)))).toEqual([
      [0, 2],
      [0, 2],
      [3, 5],
    ]);
  });

  it('skips characters the normaliser dropped; a bare space token belongs nowhere', () => {
    expect(spans(alignByPrefixes('dog\u200bcat', ['dog', 'dogcat']))).toEqual([
      [0, 3],
      [4, 7],
    ]);
    expect(spans(alignByPrefixes('hello world', ['hello', 'hello ', 'hello world']))).toEqual([
      [0, 5],
      [-1, -1],
      [6, 11],
    ]);
  });

  it('a surface not found in the text becomes a wildcard (here sharing the next span); no tokens → no spans', () => {
    expect(spans(alignByPrefixes('ab cd', ['ab', 'ab§', 'ab§ cd']))).toEqual([
      [0, 2],
      [3, 5],
      [3, 5],
    ]);
    expect(spans(alignByPrefixes('ab', ['ab', 'ab§']))).toEqual([
      [0, 2],
      [-1, -1],
    ]);
    expect(alignByPrefixes('anything', [])).toHaveLength(0);
  });
});

import { describe, expect, it } from 'vitest';
import { segmentWords, wordSegmenter } from '../../../src/core/text/words';
import { LANGS, SENTENCES } from './sentences';

describe('segmentWords', () => {
  it.each(LANGS)('%s: offsets round-trip on the original text and cover every letter', (lang) => {
    const text = SENTENCES[lang]!;
    const words = segmentWords(text, lang);
    expect(words.length).toBeGreaterThan(3);
    for (const w of words) expect(text.slice(w.start, w.end)).toBe(w.text);
    for (let i = 1; i < words.length; i++) expect(words[i]!.start).toBeGreaterThanOrEqual(words[i - 1]!.end);
    // what lies between words is only spaces and punctuation
    const gaps =
      words.reduce((s, w, i) => s + text.slice(i ? words[i - 1]!.end : 0, w.start), '') + text.slice(words.at(-1)!.end);
    expect(gaps).toMatch(/^[\s\p{P}]*$/u);
  });

  it('splits unspaced CJK and Thai into dictionary words', () => {
    expect(segmentWords(SENTENCES.zh!, 'zh').map((w) => w.text)).toEqual([
      '给',
      '我看',
      '上个',
      '月',
      '我的',
      '狗',
      '的',
      '照片',
    ]);
    expect(
      segmentWords(SENTENCES.ja!, 'ja')
        .map((w) => w.text)
        .slice(0, 5),
    ).toEqual(['先月', 'の', '犬', 'の', '写真']);
    expect(segmentWords(SENTENCES.th!, 'th').map((w) => w.text)).toEqual([
      'แสดง',
      'รูป',
      'สุนัข',
      'ของ',
      'ฉัน',
      'เมื่อ',
      'เดือน',
      'ที่',
      'แล้ว',
    ]);
  });

  it('drops punctuation, spaces and emoji; keeps apostrophes and decimals inside words', () => {
    expect(segmentWords("I'm 3.5 km, e-mail 🐶 dog's!", 'en').map((w) => w.text)).toEqual([
      "I'm",
      '3.5',
      'km',
      'e',
      'mail',
      "dog's",
    ]);
    expect(segmentWords('', 'en')).toEqual([]);
    expect(segmentWords(' ¿?!… ', 'es')).toEqual([]);
  });

  it('offsets are UTF-16 indices past astral characters', () => {
    const text = '𝒜 𠀀 dog';
    const words = segmentWords(text, 'en');
    expect(words.at(-1)).toEqual({ text: 'dog', start: 6, end: 9 });
    for (const w of words) expect(text.slice(w.start, w.end)).toBe(w.text);
  });

  it('caches one segmenter per locale and tolerates malformed or missing hints', () => {
    expect(wordSegmenter('de')).toBe(wordSegmenter('de'));
    expect(segmentWords('a dog', 'not a locale!').map((w) => w.text)).toEqual(['a', 'dog']);
    expect(segmentWords('a dog').map((w) => w.text)).toEqual(['a', 'dog']);
  });
});

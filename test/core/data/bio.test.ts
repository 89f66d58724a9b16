import { describe, expect, it } from 'vitest';
import { bioLabelIds, bioLabels, bioTagSet, slotsOffWordBoundaries } from '../../../src/core/data/bio';
import { segmentWords } from '../../../src/core/text/words';

describe('segmentWords', () => {
  it('keeps word-like segments with UTF-16 offsets into the original text (spaces, punctuation dropped)', () => {
    const text = 'Zeig mir Hundegesicht-Bilder, bitte!';
    const words = segmentWords(text, 'de');
    expect(words.map((w) => [w.text, w.start, w.end])).toEqual([
      ['Zeig', 0, 4],
      ['mir', 5, 8],
      ['Hundegesicht', 9, 21],
      ['Bilder', 22, 28],
      ['bitte', 30, 35],
    ]);
    for (const w of segmentWords('帮我找一下上个月的狗脸图片', 'zh'))
      expect(w.text).toBe('帮我找一下上个月的狗脸图片'.slice(w.start, w.end));
    expect(segmentWords('帮我找一下上个月的狗脸图片', 'zh').length).toBeGreaterThan(5);
  });
});

describe('BIO labels', () => {
  it('bioTagSet: O first, then B-/I- per label in order', () => {
    expect(bioTagSet(['object', 'time'])).toEqual(['O', 'B-object', 'I-object', 'B-time', 'I-time']);
  });

  it('tags the words each span covers: B- on the first, I- on the rest', () => {
    const text = 'please find me a picture of dog face from last month';
    const tags = bioLabels(
      [
        { label: 'time', start: 42, end: 52 },
        { label: 'object', start: 28, end: 36 },
      ],
      segmentWords(text, 'en'),
    );
    expect(tags).toEqual(['O', 'O', 'O', 'O', 'O', 'O', 'B-object', 'I-object', 'O', 'B-time', 'I-time']);
    expect(
      bioLabelIds([{ label: 'object', start: 28, end: 36 }], segmentWords(text, 'en'), bioTagSet(['object', 'time'])),
    ).toEqual(Int32Array.from([0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0]));
  });

  it('Chinese without spaces: spans map onto ICU dictionary words', () => {
    const text = '帮我找一下上个月的狗脸图片'; // 帮 我 找 一下 上个 月 的 狗 脸 图片
    const words = segmentWords(text, 'zh');
    const tags = bioLabels(
      [
        { label: 'time', start: 5, end: 8 },
        { label: 'object', start: 9, end: 11 },
      ],
      words,
    );
    expect(words.map((w, i) => `${w.text}/${tags[i]}`)).toEqual([
      '帮/O',
      '我/O',
      '找/O',
      '一下/O',
      '上个/B-time',
      '月/I-time',
      '的/O',
      '狗/B-object',
      '脸/I-object',
      '图片/O',
    ]);
  });

  it('a span that cuts a word labels the whole word; a word overlapping two spans keeps the first', () => {
    const words = segmentWords('dogface now', 'en');
    expect(bioLabels([{ label: 'object', start: 0, end: 3 }], words)).toEqual(['B-object', 'O']);
    expect(
      bioLabels(
        [
          { label: 'b', start: 2, end: 3 },
          { label: 'a', start: 0, end: 1 },
        ],
        segmentWords('abc', 'en'),
      ),
    ).toEqual(['B-a']);
    expect(
      slotsOffWordBoundaries(
        [
          { label: 'object', start: 0, end: 3 },
          { label: 'time', start: 8, end: 11 },
        ],
        words,
      ),
    ).toEqual([{ label: 'object', start: 0, end: 3 }]);
  });

  it('truncated word lists get tags for the words kept only', () => {
    const text = 'find dog face from yesterday';
    const words = segmentWords(text, 'en').slice(0, 2);
    expect(
      bioLabels(
        [
          { label: 'object', start: 5, end: 13 },
          { label: 'time', start: 19, end: 28 },
        ],
        words,
      ),
    ).toEqual(['O', 'B-object']);
  });

  it('a tag missing from the tag set → UserError', () => {
    expect(() =>
      bioLabelIds([{ label: 'place', start: 0, end: 4 }], segmentWords('home', 'en'), bioTagSet(['object'])),
    ).toThrow(
      "slot tag 'B-place' is not in the tag set (O, B-object, I-object); build the tag set from the dataset's slotLabels",
    );
  });
});

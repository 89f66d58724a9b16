import { describe, expect, it } from 'vitest';
import { bioLabelsForSpans, type LabelSpan } from '../../../src/core/text/bio';
import { segmentWords } from '../../../src/core/text/words';
import { bioLabels } from '../../../src/core/data/bio';

const text = 'show me photos of my dog from last month';
const words = segmentWords(text, 'en'); // show me photos of my dog from last month
const at = (s: string, label: string): LabelSpan => ({
  start: text.indexOf(s),
  end: text.indexOf(s) + s.length,
  label,
});

describe('bioLabelsForSpans', () => {
  it('tags the words of aligned spans B- then I-, others O, with no problems', () => {
    const r = bioLabelsForSpans(words, [at('last month', 'time'), at('dog', 'object')]);
    expect(r.tags).toEqual(['O', 'O', 'O', 'O', 'O', 'B-object', 'O', 'B-time', 'I-time']);
    expect(r.problems).toEqual([]);
  });

  it('a span cutting a word still tags the whole word, and says where to move the edge', () => {
    const r = bioLabelsForSpans(words, [{ start: 22, end: 27, label: 'object' }]); // 'og fr'
    expect(r.tags).toEqual(['O', 'O', 'O', 'O', 'O', 'B-object', 'I-object', 'O', 'O']);
    expect(r.problems).toEqual([
      { span: 0, message: "span [22, 27) 'object' start 22 cuts the word 'dog' [21, 24); move it to 21 or 24" },
      { span: 0, message: "span [22, 27) 'object' end 27 cuts the word 'from' [25, 29); move it to 25 or 29" },
    ]);
  });

  it('reports overlapping, empty and wordless spans; the earlier span keeps a shared word', () => {
    const r = bioLabelsForSpans(words, [
      at('my dog', 'object'),
      at('dog from', 'place'),
      { start: 5, end: 5, label: 'x' },
      { start: 4, end: 5, label: 'gap' },
    ]);
    expect(r.tags).toEqual(['O', 'O', 'O', 'O', 'B-object', 'I-object', 'B-place', 'O', 'O']);
    expect(r.problems.map((p) => p.span)).toEqual([1, 2, 3]);
    expect(r.problems[0]!.message).toBe("span [21, 29) 'place' overlaps span 0; spans must not overlap");
    expect(r.problems[1]!.message).toBe("span [5, 5) 'x' is empty; end must be greater than start");
    expect(r.problems[2]!.message).toBe(
      "span [4, 5) 'gap' covers no word (only spaces/punctuation, or past the last word kept)",
    );
  });

  it('spans past the truncated words are reported and leave the kept words alone', () => {
    const r = bioLabelsForSpans(words.slice(0, 3), [at('last month', 'time')]);
    expect(r.tags).toEqual(['O', 'O', 'O']);
    expect(r.problems).toHaveLength(1);
  });

  it('CJK: spans on ICU word boundaries', () => {
    const zh = '给我看上个月我的狗的照片';
    const zw = segmentWords(zh, 'zh'); // 给 我看 上个 月 我的 狗 的 照片
    const r = bioLabelsForSpans(zw, [
      { start: 3, end: 6, label: 'time' },
      { start: 8, end: 9, label: 'object' },
    ]);
    expect(r.tags).toEqual(['O', 'O', 'B-time', 'I-time', 'O', 'B-object', 'O', 'O']);
    expect(r.problems).toEqual([]);
  });

  it('gives the same tags as src/core/data/bio bioLabels on every case above', () => {
    const cases: LabelSpan[][] = [
      [at('last month', 'time'), at('dog', 'object')],
      [{ start: 22, end: 27, label: 'o' }],
      [at('my dog', 'a'), at('dog from', 'b')],
      [at('photos', 'o'), at('show', 's')],
    ];
    for (const spans of cases) expect(bioLabelsForSpans(words, spans).tags).toEqual(bioLabels(spans, words));
  });
});

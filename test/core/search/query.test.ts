import { describe, expect, it } from 'vitest';
import { bioSpans } from '../../../src/core/search/query';
import type { Word } from '../../../src/core/text/tokenizer';

/** Whitespace words with offsets: the oracle segmentation for these tests. */
function words(text: string): Word[] {
  return [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], start: m.index!, end: m.index! + m[0].length }));
}

describe('bioSpans', () => {
  const q = 'find a picture of a dog face from last month';
  const w = words(q);

  it('joins B/I runs into labelled spans with the exact query text between them', () => {
    const tags = ['O', 'O', 'O', 'O', 'O', 'B-object', 'I-object', 'O', 'B-time', 'I-time'];
    expect(bioSpans(q, w, tags)).toEqual([
      { label: 'object', text: 'dog face', start: 20, end: 28 },
      { label: 'time', text: 'last month', start: 34, end: 44 },
    ]);
  });

  it('opens a span on an I- without a matching open span, and splits on a label change', () => {
    const tags = ['O', 'O', 'O', 'O', 'O', 'I-object', 'I-time', 'I-time', 'O', 'O'];
    expect(bioSpans(q, w, tags)).toEqual([
      { label: 'object', text: 'dog', start: 20, end: 23 },
      { label: 'time', text: 'face from', start: 24, end: 33 },
    ]);
  });

  it('starts a new span at every B-, even right after one of the same label', () => {
    expect(bioSpans('dog cat', words('dog cat'), ['B-object', 'B-object'])).toEqual([
      { label: 'object', text: 'dog', start: 0, end: 3 },
      { label: 'object', text: 'cat', start: 4, end: 7 },
    ]);
    expect(bioSpans('dog cat', words('dog cat'), ['O', 'O'])).toEqual([]);
  });
});

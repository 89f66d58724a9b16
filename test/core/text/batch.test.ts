import { describe, expect, it } from 'vitest';
import { packRows } from '../../../src/core/text/batch';

describe('packRows', () => {
  it('puts CLS at 0, pads pieces and rows with padId, masks and marks first pieces', () => {
    const w = (text: string, start: number) => ({ text, start, end: start + text.length });
    const b = packRows(
      [
        {
          pieces: [Int32Array.of(5, 6), Int32Array.of(7), Int32Array.of(8)],
          wordIndex: [0, 0, -1],
          words: [w('ab', 0)],
        },
        { pieces: [], wordIndex: [], words: [] },
      ],
      3,
      1,
      0,
    );
    expect([b.batch, b.length, b.pieces]).toEqual([2, 4, 3]);
    expect([...b.ids]).toEqual([1, 0, 0, 5, 6, 0, 7, 0, 0, 8, 0, 0, /* row 2 */ 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...b.mask]).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    expect([...b.wordIndex]).toEqual([-1, 0, 0, -1, -1, -1, -1, -1]);
    expect([...b.firstPiece]).toEqual([0, 1, 0, 0, 0, 0, 0, 0]);
    expect(b.words).toEqual([[w('ab', 0)], []]);
  });

  it('an empty batch has T = 1 and no rows; too many pieces throw', () => {
    const b = packRows([], 2, 1, 0);
    expect([b.batch, b.length, b.ids.length]).toEqual([0, 1, 0]);
    expect(() => packRows([{ pieces: [Int32Array.of(1, 2, 3)], wordIndex: [0], words: [] }], 2, 1, 0)).toThrow('G = 2');
  });
});

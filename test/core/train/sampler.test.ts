import { describe, expect, it } from 'vitest';
import { BatchAssembler } from '../../../src/core/train/batch';
import { permutation, Rng } from '../../../src/core/rng';
import { allocateBatch, PairSampler, type PairPool } from '../../../src/core/train/sampler';
import { TokenBatcher } from '../../../src/core/train/tokens';
import { TOY, toyData, toyTokens } from './toy';

const pool = (n: number, groups: (i: number) => number): PairPool => ({
  size: n,
  left: Int32Array.from({ length: n }, (_, i) => i),
  right: Int32Array.from({ length: n }, (_, i) => i),
  group: Int32Array.from({ length: n }, (_, i) => groups(i)),
});

describe('seeded randomness', () => {
  it('Rng continues exactly from a saved state', () => {
    const a = new Rng(42);
    for (let i = 0; i < 10; i++) a.next();
    const b = new Rng(0);
    b.setState(a.state());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(Array.from({ length: 5 }, () => a.next()));
  });

  it('permutation is a permutation, and depends on the seed', () => {
    const p = permutation(50, 1);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...permutation(50, 2)]).not.toEqual([...p]);
    expect([...permutation(50, 1)]).toEqual([...p]);
  });
});

describe('PairSampler', () => {
  it('visits every example once per epoch (non-contrastive pool)', () => {
    const s = new PairSampler({ 'query-nlu': pool(10, () => -1) }, 3);
    const epoch1 = [...s.draw('query-nlu', 4), ...s.draw('query-nlu', 4), ...s.draw('query-nlu', 2)];
    expect(epoch1.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.state()).toEqual({ 'query-nlu': { epoch: 0, cursor: 10 } });
    s.draw('query-nlu', 1);
    expect(s.state()).toEqual({ 'query-nlu': { epoch: 1, cursor: 1 } });
  });

  it('never puts two examples of one group in a contrastive sub-batch while it can avoid it', () => {
    const s = new PairSampler({ 'caption-chunk': pool(60, (i) => i % 6) }, 5);
    for (let k = 0; k < 20; k++) {
      const groups = [...s.draw('caption-chunk', 6)].map((i) => i % 6);
      expect(new Set(groups).size).toBe(6);
    }
    const tiny = new PairSampler({ 'caption-chunk': pool(4, () => 0) }, 5);
    expect(tiny.draw('caption-chunk', 3)).toHaveLength(3); // impossible to avoid: falls back to duplicates
  });

  it('a restored sampler draws what the original would have drawn', () => {
    const pools = { 'image-caption': pool(30, (i) => i % 10), 'query-nlu': pool(7, () => -1) };
    const a = new PairSampler(pools, 9);
    for (let k = 0; k < 5; k++) {
      a.draw('image-caption', 4);
      a.draw('query-nlu', 3);
    }
    const b = new PairSampler(pools, 9);
    b.restore(JSON.parse(JSON.stringify(a.state())));
    for (let k = 0; k < 10; k++) {
      expect([...b.draw('image-caption', 4)]).toEqual([...a.draw('image-caption', 4)]);
      expect([...b.draw('query-nlu', 3)]).toEqual([...a.draw('query-nlu', 3)]);
    }
  });
});

describe('allocateBatch', () => {
  it('splits the batch by shares with largest remainders, at least 2 per pair', () => {
    expect(allocateBatch(32, { 'image-caption': 0.5, 'caption-chunk': 0.25, 'query-chunk': 0.25 })).toEqual([
      ['image-caption', 16],
      ['caption-chunk', 8],
      ['query-chunk', 8],
    ]);
    expect(allocateBatch(10, { 'image-caption': 1 / 3, 'caption-chunk': 1 / 3, 'query-chunk': 1 / 3 })).toEqual([
      ['image-caption', 4],
      ['caption-chunk', 3],
      ['query-chunk', 3],
    ]);
    expect(allocateBatch(10, { 'image-caption': 0.95, 'query-nlu': 0.05 })).toEqual([
      ['image-caption', 8],
      ['query-nlu', 2],
    ]);
  });
});

describe('batch assembly', () => {
  it('copies table rows into reused buffers, trimmed to the longest row', () => {
    const t = toyTokens([[5], [6, 7, 8], [9, 10]], 6);
    const b = new TokenBatcher(t, 4);
    const x = b.rows([2, 0]);
    expect([x.batch, x.length, x.pieces]).toEqual([2, 3, 1]);
    expect([...x.ids]).toEqual([1, 9, 10, 1, 5, 0]);
    expect([...x.mask]).toEqual([1, 1, 1, 1, 1, 0]);
    const y = b.rows([1]);
    expect([...y.ids]).toEqual([1, 6, 7, 8]);
    expect(y.ids.buffer).toBe(x.ids.buffer); // no allocation per step
  });

  it('assembles every pair type with its labels', () => {
    const data = toyData(5);
    const asm = new BatchAssembler(data, 8);
    const ic = asm.assemble('image-caption', Int32Array.from([3]));
    const per = TOY.imageSize ** 2 * 3;
    expect([...ic.images!.data]).toEqual([...data.images!.data.subarray(3 * per, 4 * per)]);
    expect([...ic.right!.ids.subarray(0, 2)]).toEqual([
      1,
      data.texts.ids[data.pools['image-caption']!.right[3]! * TOY.T + 1],
    ]);
    const nlu = asm.assemble('query-nlu', Int32Array.from([0, 3]));
    expect([...nlu.intent!]).toEqual([0, 1]);
    expect(nlu.slotLabels).toHaveLength(2 * nlu.query!.length);
    expect([...nlu.slotMask!.subarray(0, nlu.query!.length)].slice(0, 3)).toEqual([0, 1, 1]);
  });
});

import { describe, expect, it } from 'vitest';
import { applyOverrides, overridesSlug, parseSetFlag, setPath } from '../../../src/core/config/overrides';
import { SweepSchema, expandSweep } from '../../../src/core/sweep/sweep';

describe('overrides', () => {
  it('sets a dotted path on a copy, creating objects on the way', () => {
    const base = { curriculum: { stages: { stage1: { weights: { alpha: 1 } } } }, list: [{ x: 1 }, { x: 2 }] };
    const out = setPath(base, 'curriculum.stages.stage1.weights.alpha', 0.5);
    expect(out.curriculum.stages.stage1.weights.alpha).toBe(0.5);
    expect(base.curriculum.stages.stage1.weights.alpha).toBe(1);
    expect(setPath(base, 'list[1].x', 9).list).toEqual([{ x: 1 }, { x: 9 }]);
    expect(applyOverrides({}, { 'a.b': 1, 'a.c': 'x' })).toEqual({ a: { b: 1, c: 'x' } });
    expect(() => setPath({ a: 3 }, 'a.b', 1)).toThrowError("override 'a.b': 'a' is 3, not an object");
  });

  it('parses --set values as JSON when they are JSON', () => {
    expect(parseSetFlag('seed=3')).toEqual(['seed', 3]);
    expect(parseSetFlag('model.fusion.id=late')).toEqual(['model.fusion.id', 'late']);
    expect(parseSetFlag('data.languages=["en","de"]')).toEqual(['data.languages', ['en', 'de']]);
    expect(() => parseSetFlag('alpha')).toThrowError(/expected path=value/);
  });

  it('run-id slugs use last segments, full paths only where they collide', () => {
    expect(overridesSlug({ 'curriculum.stages.stage1.weights.alpha': 0.5 })).toBe('alpha=0.5');
    expect(overridesSlug({ 'x.stage1.steps': 1, 'x.stage3.steps': 2 })).toBe('x.stage1.steps=1-x.stage3.steps=2');
  });
});

describe('expandSweep', () => {
  const grid = SweepSchema.parse({
    id: 'ab',
    base: 'smoke',
    seeds: [1, 2],
    params: { 'curriculum.stages.stage3.weights.a': [0.5, 1], 'curriculum.stages.stage3.weights.b': [0.1, 1] },
    fixed: { 'data.batchSize': 16 },
  });

  it('grid = cartesian product × seeds, stable ids', () => {
    const t = expandSweep(grid);
    expect(t).toHaveLength(8);
    expect(t.map((x) => x.runId)).toEqual([
      'ab--a=0.5-b=0.1--s1',
      'ab--a=0.5-b=0.1--s2',
      'ab--a=0.5-b=1--s1',
      'ab--a=0.5-b=1--s2',
      'ab--a=1-b=0.1--s1',
      'ab--a=1-b=0.1--s2',
      'ab--a=1-b=1--s1',
      'ab--a=1-b=1--s2',
    ]);
    expect(t[3]!.overrides).toEqual({
      'data.batchSize': 16,
      'curriculum.stages.stage3.weights.a': 0.5,
      'curriculum.stages.stage3.weights.b': 1,
    });
  });

  it('random search is seeded and respects ranges', () => {
    const spec = SweepSchema.parse({
      id: 'r',
      base: 'smoke',
      method: 'random',
      trials: 6,
      searchSeed: 4,
      params: { lr: { min: 1e-4, max: 1e-2, log: true }, layers: [1, 2, 3] },
    });
    const a = expandSweep(spec);
    expect(a.map((x) => x.runId)).toEqual(expandSweep(spec).map((x) => x.runId));
    for (const t of a) {
      expect(t.point.lr).toBeGreaterThanOrEqual(1e-4);
      expect(t.point.lr).toBeLessThanOrEqual(1e-2);
      expect([1, 2, 3]).toContain(t.point.layers);
    }
    expect(expandSweep({ ...spec, searchSeed: 5 }).map((x) => x.runId)).not.toEqual(a.map((x) => x.runId));
  });

  it('rejects a grid given a range and a random search without trials', () => {
    expect(
      SweepSchema.safeParse({ id: 'x', base: 'b', params: { a: { min: 0, max: 1 } } }).error?.issues[0]?.message,
    ).toBe('grid search needs a list of values');
    expect(
      SweepSchema.safeParse({ id: 'x', base: 'b', method: 'random', params: { a: [1] } }).error?.issues[0]?.path,
    ).toEqual(['trials']);
  });
});

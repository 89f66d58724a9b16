import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParamScope, seedFor, stableName } from '../../../src/core/nn';
import { maxAbsDiff, useBackend } from '../../helpers/contract';

beforeAll(() => useBackend('wasm'));

describe('ParamScope', () => {
  it('names variables by path and seeds each from (seed, name): same seed → same values, other name or seed → other values', () => {
    const a = ParamScope.root('text', 3);
    const w1 = a.child('layers.0').child('attn').variable('wq', [4, 4], { kind: 'glorot' });
    const w2 = a.child('layers.0').child('attn').variable('wk', [4, 4], { kind: 'glorot' });
    const b = ParamScope.root('text', 3);
    const w1b = b.child('layers.0/attn').variable('wq', [4, 4], { kind: 'glorot' });
    const c = ParamScope.root('text', 4);
    const w1c = c.child('layers.0/attn').variable('wq', [4, 4], { kind: 'glorot' });
    try {
      expect(w1.name).toBe('text/layers.0/attn/wq');
      expect(w1b.name).toBe('text/layers.0/attn/wq#2'); // tfjs names are process-global: the live twin gets a suffix
      expect(stableName(w1b)).toBe('text/layers.0/attn/wq');
      expect(maxAbsDiff(w1, w1b)).toBe(0);
      expect(maxAbsDiff(w1, w2)).toBeGreaterThan(0);
      expect(maxAbsDiff(w1, w1c)).toBeGreaterThan(0);
      expect(a.created().map((v) => v.name)).toEqual(['text/layers.0/attn/wq', 'text/layers.0/attn/wk']);
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
    expect(w1.isDisposed && w2.isDisposed && w1b.isDisposed).toBe(true);
  });

  it('draws glorot with std sqrt(2/(fanIn+fanOut)), he with sqrt(2/fanIn), constants exactly', () => {
    const s = ParamScope.root('init', 1);
    try {
      const g = s.variable('g', [200, 300], { kind: 'glorot' });
      const h = s.variable('h', [3, 3, 20, 50], { kind: 'he', fanIn: 180 });
      const k = s.variable('k', [5], { kind: 'const', value: 0.25 });
      const std = (t: tf.Tensor) => tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]!));
      expect(std(g)).toBeCloseTo(Math.sqrt(2 / 500), 3);
      expect(std(h)).toBeCloseTo(Math.sqrt(2 / 180), 2);
      expect(Array.from(k.dataSync())).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
    } finally {
      s.dispose();
    }
  });

  it('seedFor is a pure function of (seed, name) and separates neighbours', () => {
    expect(seedFor(1, 'text/w')).toBe(seedFor(1, 'text/w'));
    const seeds = new Set(['a', 'b', 'text/w', 'text/b'].flatMap((n) => [1, 2].map((s) => seedFor(s, n))));
    expect(seeds.size).toBe(8);
  });
});

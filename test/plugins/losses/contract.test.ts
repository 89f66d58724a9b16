import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FEATURE_KEYS,
  FEATURE_SPECS,
  type FeatureKey,
  type Features,
  type LossPlugin,
} from '../../../src/core/loss/loss';
import { BUILTIN_LOSSES } from '../../../src/plugins/losses';
import { createRegistry } from '../../../src/plugins';
import { rng } from '../../helpers/fake-run';
import { BACKENDS, useBackend, values } from './backends';

const [B, D, I, T, S] = [4, 8, 5, 6, 7];

/** Synthetic features of every key, seeded: (B, D) unit rows, logits, labels in range, a mask with gaps. */
function features(seed: number): Required<Features> {
  const r = rng(seed);
  const rand = (n: number, scale = 1) => Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const unit = () =>
    tf.tidy(() => {
      const x = tf.tensor2d(rand(B * D), [B, D]);
      return tf.div(x, tf.norm(x, 2, 1, true)) as tf.Tensor2D;
    });
  return {
    a: unit(),
    b: unit(),
    enhanced: unit(),
    target: unit(),
    teacher: unit(),
    intentLogits: tf.tensor2d(rand(B * I, 3), [B, I]),
    intentLabels: tf.tensor1d([0, 4, 2, 1], 'int32'),
    slotLogits: tf.tensor3d(rand(B * T * S, 3), [B, T, S]),
    slotLabels: tf.tensor2d(
      Array.from({ length: B * T }, (_, k) => k % S),
      [B, T],
      'int32',
    ),
    slotMask: tf.tensor2d(
      Array.from({ length: B * T }, (_, k) => (k % T === 0 || k % 4 === 3 ? 0 : 1)),
      [B, T],
    ),
  };
}

const camel = (id: string) => id.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

describe('built-in losses', () => {
  it('are registered under their ids, one file each named after the id', () => {
    const reg = createRegistry();
    expect(reg.list('loss').map((p) => p.id)).toEqual([
      'distill-mse',
      'info-nce',
      'intent-ce',
      'mse-align',
      'siglip',
      'slot-ce',
    ]);
    for (const p of BUILTIN_LOSSES) expect(existsSync(`src/plugins/losses/${p.id}.ts`)).toBe(true);
  });
});

describe.each(BACKENDS)('loss contract on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(BUILTIN_LOSSES.map((p) => [p.id, p as LossPlugin] as const))('%s', (id, plugin) => {
    it('parses {} into its defaults and declares a one-line summary and known features', () => {
      expect(() => plugin.configSchema.parse({})).not.toThrow();
      expect(plugin.summary).not.toMatch(/\n/);
      expect(plugin.summary.length).toBeGreaterThan(10);
      expect(plugin.needs.length).toBeGreaterThan(0);
      for (const k of plugin.needs) expect(FEATURE_KEYS).toContain(k);
    });

    it('returns finite scalars, its main term (the camelCase id) among them, with gradients to its float inputs and variables, and no leaks', () => {
      const before = tf.memory().numTensors;
      const loss = plugin.create(plugin.configSchema.parse({}), { name: `c-${backend}-${id}` });
      expect(plugin.mainTerm).toBe(camel(id));
      for (const v of loss.variables) expect(v.name.startsWith(`c-${backend}-${id}/`)).toBe(true);
      const all = features(11);
      const f = Object.fromEntries(plugin.needs.map((k) => [k, all[k]])) as Features;
      const terms = loss.compute(f);
      expect(Object.keys(terms)).toContain(plugin.mainTerm);
      for (const [k, t] of Object.entries(terms)) {
        expect(t.rank, k).toBe(0);
        expect(Number.isFinite(values(t)[0]), k).toBe(true);
      }
      const floatKeys = plugin.needs.filter((k) => FEATURE_SPECS[k].dtype === 'float32' && k !== 'slotMask');
      const inputs = floatKeys.map((k) => all[k]);
      const main = plugin.mainTerm;
      const grads = tf.grads((...xs: tf.Tensor[]) => {
        const g = { ...f } as Record<FeatureKey, tf.Tensor>;
        floatKeys.forEach((k, i) => (g[k] = xs[i]!));
        return loss.compute(g as Features)[main]!;
      })(inputs);
      floatKeys.forEach((k, i) => {
        const g = values(grads[i]!);
        expect(g.every(Number.isFinite), k).toBe(true);
        // mse-align's target and distill-mse's teacher are behind a stop-gradient; every other input gets a gradient.
        const stopped = (id === 'mse-align' && k === 'target') || (id === 'distill-mse' && k === 'teacher');
        expect(
          g.some((x) => x !== 0),
          k,
        ).toBe(!stopped);
      });
      if (loss.variables.length) {
        const vg = tf.variableGrads(() => loss.compute(f)[main]!, loss.variables);
        for (const v of loss.variables) expect(values(vg.grads[v.name]!)[0], v.name).not.toBe(0);
        tf.dispose([vg.value, ...Object.values(vg.grads)]);
      }
      tf.dispose([...Object.values(terms), ...grads, ...Object.values(all)]);
      loss.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

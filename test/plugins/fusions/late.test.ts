import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NluOutput } from '../../../src/core/model/encoder';
import type { Fusion, FusionCtx } from '../../../src/core/model/fusion';
import { late } from '../../../src/plugins/fusions/late';
import { describeModuleContract, describePluginBasics, maxAbsDiff, rng, useBackend } from '../../helpers/contract';
import { nluFeatures } from './fixtures';

const ctx: FusionCtx = { scope: 'fusion', seed: 2, dim: 5, textHidden: 8, nluHidden: 6 };
let e: tf.Tensor2D;
let nlu: NluOutput;
beforeAll(async () => {
  await useBackend('wasm');
  const r = rng(1);
  e = tf.tidy(() => {
    const t = tf.tensor2d(
      Float32Array.from({ length: 15 }, () => r() - 0.5),
      [3, 5],
    );
    return tf.div(t, tf.norm(t, 2, 1, true)) as tf.Tensor2D;
  });
  nlu = nluFeatures(2, 3, 4, 6);
});

describe('late fusion', () => {
  const build = (cfg: object = {}) => late.create(late.configSchema.parse(cfg), ctx) as Fusion;
  describePluginBasics(late);
  describeModuleContract({
    build: () => build(),
    run: (f) => ({ fused: f.late!(e, nlu) }),
    shapes: { fused: [3, 5] },
    unitRows: ['fused'],
  });

  it('= L2(e + g·(s·W + b)) with the scalar gate at gateInit', () => {
    const f = build({ gateInit: 0.4 });
    f.variables()[1]!.assign(tf.tensor1d([0.1, -0.2, 0.3, 0, 0.5]));
    const [w, b, g] = f.variables();
    expect(g!.dataSync()[0]).toBeCloseTo(0.4, 6);
    const ref = tf.tidy(() => {
      const y = tf.add(e, tf.mul(0.4, tf.add(tf.matMul(nlu.semantic, w as tf.Tensor2D), b!)));
      return tf.div(y, tf.norm(y, 2, 1, true));
    });
    const got = f.late!(e, nlu);
    expect(maxAbsDiff(got, ref)).toBeLessThan(1e-6);
    const other = f.late!(e, { ...nlu, semantic: tf.mul(nlu.semantic, -1) as tf.Tensor2D });
    expect(maxAbsDiff(got, other)).toBeGreaterThan(1e-3);
    tf.dispose([ref, got, other]);
    f.dispose();
  });
});

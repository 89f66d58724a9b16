import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LossInstance } from '../../../src/core/loss/loss';
import { infoNce } from '../../../src/plugins/losses/info-nce';
import { rng } from '../../helpers/fake-run';
import { BACKENDS, numericGrad, relError, unitRows, useBackend, values } from './backends';
import { infoNceJs, rows } from './oracle';

const B = 4;
const D = 8;

describe.each(BACKENDS)('info-nce on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const a0 = unitRows(rng(1), B, D);
  const b0 = unitRows(rng(2), B, D);

  /** Loss terms and gradients wrt a, b and logitScale at the given logitScale. */
  function run(ls: number, a = a0, b = b0, config: object = {}) {
    const loss = infoNce.create(infoNce.configSchema.parse(config), { name: `t-${backend}` });
    const [logitScale] = loss.variables;
    tf.tidy(() => logitScale!.assign(tf.scalar(ls)));
    const av = tf.tidy(() => tf.variable(tf.tensor2d(a), true, `t-${backend}/a`));
    const bv = tf.tidy(() => tf.variable(tf.tensor2d(b), true, `t-${backend}/b`));
    const terms = loss.compute({ a: av, b: bv });
    const out = Object.fromEntries(Object.entries(terms).map(([k, t]) => [k, values(t)[0]!]));
    const { value, grads } = tf.variableGrads(() => loss.compute({ a: av, b: bv }).infoNce!, [av, bv, logitScale!]);
    const g = {
      a: values(grads[av.name]!),
      b: values(grads[bv.name]!),
      logitScale: values(grads[logitScale!.name]!)[0]!,
    };
    tf.dispose([...Object.values(terms), ...Object.values(grads), value, av, bv]);
    loss.dispose();
    return { out, g };
  }

  for (const ls of [Math.log(1 / 0.07), Math.log(3)]) {
    it(`matches the plain formula and its finite-difference gradients (logitScale ${ls.toFixed(3)})`, () => {
      const before = tf.memory().numTensors;
      const { out, g } = run(ls);
      expect(tf.memory().numTensors).toBe(before);

      const want = infoNceJs(a0, b0, ls);
      for (const k of ['infoNce', 'aToB', 'bToA', 'temperature'] as const)
        expect(relError([out[k]!], [want[k]])).toBeLessThan(1e-5);
      expect(Object.keys(out)[0]).toBe('infoNce');

      const fa = numericGrad((x) => infoNceJs(rows(x, D), b0, ls).infoNce, a0.flat());
      const fb = numericGrad((x) => infoNceJs(a0, rows(x, D), ls).infoNce, b0.flat());
      const fs = numericGrad(([x]) => infoNceJs(a0, b0, x!).infoNce, [ls]);
      expect(relError(g.a, fa)).toBeLessThan(1e-4);
      expect(relError(g.b, fb)).toBeLessThan(1e-4);
      expect(relError([g.logitScale], fs)).toBeLessThan(1e-4);
    });
  }

  it('clamps the scale at 100; above the cap only a gradient that lowers logitScale passes', () => {
    const capped = run(Math.log(200));
    const atCap = run(Math.log(100));
    expect(capped.out.temperature).toBeCloseTo(0.01, 6);
    expect(relError([capped.out.infoNce!], [infoNceJs(a0, b0, Math.log(100)).infoNce])).toBeLessThan(1e-5);
    // Random pairs: a sharper softmax hurts, so dL/dlogitScale > 0 and descent would lower it: it passes.
    expect(atCap.g.logitScale).toBeGreaterThan(0);
    expect(capped.g.logitScale).toBeCloseTo(atCap.g.logitScale, 6);
    expect(capped.g.a).toEqual(atCap.g.a);
    // b = a: a sharper softmax helps (dL/dlogitScale < 0); above the cap that push is blocked.
    // (A cap of 5: at 100 the softmax of b = a is saturated and the gradient underflows to ~1e-28.)
    const low = { temperature: 0.25, maxScale: 5 };
    expect(run(Math.log(5), a0, a0, low).g.logitScale).toBeLessThan(-0.01);
    expect(Math.abs(run(Math.log(10), a0, a0, low).g.logitScale)).toBe(0);
    expect(run(Math.log(10), a0, a0, low).out.temperature).toBeCloseTo(0.2, 6);
  });

  it('with learnTemperature false has no variables and uses 1/temperature', () => {
    const loss = infoNce.create(infoNce.configSchema.parse({ learnTemperature: false, temperature: 0.2 }), undefined);
    expect(loss.variables).toEqual([]);
    const terms = tf.tidy(() => loss.compute({ a: tf.tensor2d(a0), b: tf.tensor2d(b0) }));
    expect(relError([values(terms.infoNce!)[0]!], [infoNceJs(a0, b0, Math.log(5)).infoNce])).toBeLessThan(1e-5);
    tf.dispose(Object.values(terms));
  });

  it('names its variable after ctx.name, refuses a name in use, frees it on dispose', () => {
    const l1 = infoNce.create(infoNce.configSchema.parse({}), { name: 'L_TI' });
    const l2 = infoNce.create(infoNce.configSchema.parse({}), { name: 'L_TC' });
    expect([l1.variables[0]!.name, l2.variables[0]!.name]).toEqual(['L_TI/logitScale', 'L_TC/logitScale']);
    expect(values(l1.variables[0]!)[0]).toBeCloseTo(Math.log(1 / 0.07), 6);
    expect(() => infoNce.create(infoNce.configSchema.parse({}), { name: 'L_TI' })).toThrow(
      "loss 'L_TI' (info-nce): variable 'L_TI/logitScale' already exists; give each loss instance its own ctx.name (or dispose the old one)",
    );
    l1.dispose();
    l2.dispose();
    const again: LossInstance = infoNce.create(infoNce.configSchema.parse({}), { name: 'L_TI' });
    again.dispose();
  });

  it('says which feature is missing or misshapen', () => {
    const loss = infoNce.create(infoNce.configSchema.parse({ learnTemperature: false }), { name: 'L_QC' });
    const a = tf.tensor2d(a0);
    expect(() => loss.compute({ a })).toThrow(
      "loss 'L_QC' (info-nce): feature 'b' is missing; it needs a, b (check what the stage's encoders/fusion produce)",
    );
    const b3 = tf.zeros([B, D + 1]) as tf.Tensor2D;
    expect(() => loss.compute({ a, b: b3 })).toThrow(
      "loss 'L_QC' (info-nce): 'a' [4, 8] and 'b' [4, 9] must have the same shape",
    );
    const b1 = tf.zeros([B]) as unknown as tf.Tensor2D;
    expect(() => loss.compute({ a, b: b1 })).toThrow(
      "loss 'L_QC' (info-nce): feature 'b' must be a rank-2 float32 tensor, got shape [4] float32",
    );
    tf.dispose([a, b3, b1]);
  });

  it('rejects a temperature whose scale is above the cap', () => {
    expect(() => infoNce.create(infoNce.configSchema.parse({ temperature: 0.005 }), undefined)).toThrow(
      "loss 'info-nce': temperature 0.005 is below 1/maxScale = 0.01; raise temperature or maxScale",
    );
  });
});

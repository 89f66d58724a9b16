import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { siglip } from '../../../src/plugins/losses/siglip';
import { rng } from '../../helpers/fake-run';
import { BACKENDS, numericGrad, relError, unitRows, useBackend, values } from './backends';
import { rows, siglipJs } from './oracle';

const B = 4;
const D = 8;

describe.each(BACKENDS)('siglip on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const a0 = unitRows(rng(3), B, D);
  const b0 = unitRows(rng(4), B, D);

  // The paper's init (t' = log 10, b = -10) and a point where positives and negatives both matter.
  for (const [tPrime, bias] of [
    [Math.log(10), -10],
    [Math.log(4), -1.5],
  ] as const) {
    it(`matches the plain formula and its finite-difference gradients (t' ${tPrime.toFixed(3)}, b ${bias})`, () => {
      const before = tf.memory().numTensors;
      const loss = siglip.create(siglip.configSchema.parse({}), { name: `s-${backend}` });
      const [logScale, biasVar] = loss.variables;
      expect([logScale!.name, biasVar!.name]).toEqual([`s-${backend}/logScale`, `s-${backend}/bias`]);
      expect([values(logScale!)[0], values(biasVar!)[0]]).toEqual([Math.fround(Math.log(10)), -10]);
      tf.tidy(() => {
        logScale!.assign(tf.scalar(tPrime));
        biasVar!.assign(tf.scalar(bias));
      });
      const av = tf.tidy(() => tf.variable(tf.tensor2d(a0), true, `s-${backend}/a`));
      const bv = tf.tidy(() => tf.variable(tf.tensor2d(b0), true, `s-${backend}/b`));
      const terms = loss.compute({ a: av, b: bv });
      expect(Object.keys(terms)).toEqual(['siglip', 'scale', 'bias']);
      const { value, grads } = tf.variableGrads(
        () => loss.compute({ a: av, b: bv }).siglip!,
        [av, bv, logScale!, biasVar!],
      );
      const got = {
        loss: values(terms.siglip!)[0]!,
        scale: values(terms.scale!)[0]!,
        bias: values(terms.bias!)[0]!,
        a: values(grads[av.name]!),
        b: values(grads[bv.name]!),
        t: values(grads[logScale!.name]!),
        bias_: values(grads[biasVar!.name]!),
      };
      tf.dispose([...Object.values(terms), ...Object.values(grads), value, av, bv]);
      loss.dispose();
      expect(tf.memory().numTensors).toBe(before);

      expect(relError([got.loss], [siglipJs(a0, b0, tPrime, bias)])).toBeLessThan(1e-5);
      expect(relError([got.scale, got.bias], [Math.exp(tPrime), bias])).toBeLessThan(1e-6);
      expect(
        relError(
          got.a,
          numericGrad((x) => siglipJs(rows(x, D), b0, tPrime, bias), a0.flat()),
        ),
      ).toBeLessThan(1e-4);
      expect(
        relError(
          got.b,
          numericGrad((x) => siglipJs(a0, rows(x, D), tPrime, bias), b0.flat()),
        ),
      ).toBeLessThan(1e-4);
      expect(
        relError(
          got.t,
          numericGrad(([x]) => siglipJs(a0, b0, x!, bias), [tPrime]),
        ),
      ).toBeLessThan(1e-4);
      expect(
        relError(
          got.bias_,
          numericGrad(([x]) => siglipJs(a0, b0, tPrime, x!), [bias]),
        ),
      ).toBeLessThan(1e-4);
    });
  }

  it('with learnable false has no variables and uses the configured t and b', () => {
    const loss = siglip.create(
      siglip.configSchema.parse({ learnable: false, initScale: 4, initBias: -1.5 }),
      undefined,
    );
    expect(loss.variables).toEqual([]);
    const v = tf.tidy(() => values(loss.compute({ a: tf.tensor2d(a0), b: tf.tensor2d(b0) }).siglip!)[0]!);
    expect(relError([v], [siglipJs(a0, b0, Math.log(4), -1.5)])).toBeLessThan(1e-5);
    loss.dispose();
  });
});

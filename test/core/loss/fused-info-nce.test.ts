import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeBackend, initBackend } from '../../../src/core/backend';
import { composedInfoNce, fusedInfoNce } from '../../../src/core/loss/fused-info-nce';
import { l2Normalize } from '../../../src/core/nn/ops';
import { randT } from '../backend/oracle';

// info-nce on wasm as one tape node against the composed tfjs ops (composedInfoNce, the plugin's path elsewhere): the same bits for
// every term and for the gradients of the minimised term into a, b and the logit scale, below and above the clamp.
afterAll(disposeBackend);

const composed = composedInfoNce;

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('fusedInfoNce', () => {
  for (const threads of [1, 2])
    it(`${threads} thread(s): the composed ops' bits, terms and gradients, below and above the clamp`, async () => {
      await initBackend({ backend: 'wasm', threads, quiet: true });
      const maxLog = Math.log(100);
      const aboveCap: number[] = []; // the scale's gradient above the cap: blocked for one sign of dL/dscale only
      for (const [batch, dim, start, weight] of [
        [7, 16, Math.log(1 / 0.07), 1],
        [48, 128, Math.log(1 / 0.07), 0.5],
        [12, 8, maxLog + 0.3, 1], // above the cap, gradient raising it: blocked
        [12, 8, maxLog + 0.3, -1], // above the cap, gradient lowering it: passes
      ] as const) {
        const va = tf.variable(l2Normalize(randT(batch + dim, [batch, dim])), true, `inf/a${batch}${threads}${weight}`);
        const vb = tf.variable(
          l2Normalize(randT(batch + dim + 1, [batch, dim])),
          true,
          `inf/b${batch}${threads}${weight}`,
        );
        const vs = tf.variable(tf.scalar(start), true, `inf/s${batch}${threads}${weight}`);
        const run = (f: typeof composed) =>
          tf.tidy(() => {
            let terms: ReturnType<typeof composed> | undefined;
            const { value, grads } = tf.variableGrads(() => {
              terms = f(va as tf.Tensor as tf.Tensor2D, vb as tf.Tensor as tf.Tensor2D, vs, maxLog);
              for (const t of Object.values(terms)) tf.keep(t); // read after the gradient, as the step reads them
              return tf.mul(terms.infoNce, weight) as tf.Scalar;
            }, [va, vb, vs]);
            const out = [
              value,
              terms!.infoNce,
              terms!.aToB,
              terms!.bToA,
              terms!.temperature,
              grads[va.name]!,
              grads[vb.name]!,
              grads[vs.name]!,
            ].map(bits);
            tf.dispose(Object.values(terms!));
            return out;
          });
        const want = run(composed);
        const before = tf.memory().numTensors;
        const got = run((a, b, v, m) => fusedInfoNce(a, b, v, m)!);
        expect(tf.memory().numTensors).toBe(before);
        got.forEach((g, i) => expect(g, `B=${batch} w=${weight} output ${i}`).toEqual(want[i]));
        if (start > maxLog) aboveCap.push(new Float32Array(new Uint32Array(got[7]!).buffer)[0]!);
        tf.dispose([va, vb, vs]);
      }
      expect(aboveCap.filter((g) => g === 0).length).toBe(1);
    });

  it('a fixed scale (no variable) and fewer engine ops; null off wasm', async () => {
    await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    const va = tf.variable(l2Normalize(randT(1, [9, 12])), true, 'inf/fixed-a');
    const vb = tf.variable(l2Normalize(randT(2, [9, 12])), true, 'inf/fixed-b');
    const kernels = async (f: typeof composed) =>
      (
        await tf.profile(() =>
          tf.tidy(
            () =>
              tf.variableGrads(
                () => f(va as tf.Tensor as tf.Tensor2D, vb as tf.Tensor as tf.Tensor2D, tf.scalar(2.5), 4.6).infoNce,
                [va, vb],
              ).value,
          ),
        )
      ).kernels.length;
    const plain = await kernels(composed);
    const fused = await kernels((a, b, v, m) => fusedInfoNce(a, b, v, m)!);
    expect(plain - fused).toBeGreaterThanOrEqual(40);
    const terms = (f: typeof composed) =>
      tf.tidy(() =>
        Object.values(f(va as tf.Tensor as tf.Tensor2D, vb as tf.Tensor as tf.Tensor2D, tf.scalar(2.5), 4.6)).map(bits),
      );
    expect(terms((a, b, v, m) => fusedInfoNce(a, b, v, m)!)).toEqual(terms(composed));
    await initBackend({ backend: 'cpu', quiet: true });
    expect(fusedInfoNce(tf.ones([2, 3]), tf.ones([2, 3]), tf.scalar(1), 4.6)).toBeNull();
    tf.dispose([va, vb]);
  });
});

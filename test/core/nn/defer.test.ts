import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeBackend, initBackend } from '../../../src/core/backend';
import {
  deferKernels,
  deferredStats,
  drainDeferred,
  gemm,
  gemmThreads,
  splitParts,
  splitRun,
} from '../../../src/core/backend/simd/pool';
import { simdKernels } from '../../../src/core/backend/simd/simd-kernels';
import { asWasm, f32, ptr } from '../../../src/core/backend/wasm-heap';
import type { EncoderCtx, ImageEncoder } from '../../../src/core/model/encoder';
import { globalAvgPool } from '../../../src/core/nn/conv';
import { custom } from '../../../src/core/nn/fused';
import { deferBackward, deferForward, withDeferredBackward, withMeanwhile } from '../../../src/core/nn/defer';
import { l2Normalize, linear } from '../../../src/core/nn/ops';
import { imageCnn } from '../../../src/plugins/encoders/image-cnn';
import { randT, weightedSum } from '../backend/oracle';

afterAll(disposeBackend);

const ctx: EncoderCtx = { scope: 'defer-test', seed: 3, dim: 16 };

/** The default image-cnn tower (max pooling, full convolutions: its passes can be deferred). */
const cnn = (imageSize: number, channels: number[]) =>
  imageCnn.create(imageCnn.configSchema.parse({ imageSize, channels }), ctx) as ImageEncoder;

/**
 * An image tower's loss plus a text-like side (dense layers on other rows, their products shared with the pool):
 * the gradients of every variable and of the side's input, with the tower's backward pass deferred or not.
 */
function step(tower: ImageEncoder, deferred: boolean): Float32Array[] {
  const vars = tower.variables();
  const run = () =>
    tf.tidy(() => {
      const images = tf.tidy(() => tf.div(tf.add(randT(21, [7, 12, 12, 3]), 3), 6)) as tf.Tensor4D;
      const side = randT(22, [300, 64]);
      const w1 = randT(23, [64, 96]);
      const w2 = randT(24, [96, 16]);
      const { value, grads } = tf.variableGrads(() => {
        const emb = tower.encode(images, { training: true }); // (7, 16)
        const text = tf.relu(linear(tf.relu(linear(side, w1 as tf.Tensor2D)), w2 as tf.Tensor2D)); // (300, 16)
        return tf.add(weightedSum(emb), weightedSum(tf.matMul(emb, text, false, true))) as tf.Scalar;
      }, vars);
      drainDeferred();
      return [value, ...vars.map((v) => grads[v.name]!)];
    });
  const outs = deferred ? withDeferredBackward(run) : run();
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return values;
}

describe('deferred backward (an image tower on the worker while the rest runs here)', () => {
  it('gives the gradients of the step without it, bit for bit, queues the tower kernels and leaks nothing', async () => {
    expect((await initBackend({ backend: 'wasm', threads: 2, quiet: true })).threads).toBe(2);
    const tower = cnn(12, [8, 16, 24]);
    const plain = step(tower, false);
    const tensors = tf.memory().numTensors;
    const dataIds = tf.backend().numDataIds();
    const before = deferredStats();
    const deferred = step(tower, true);
    const after = deferredStats();
    // the tower's backward: dense (transpose + 2 products + bias sum), pooling, 3 × (ReLU, pooling / conv gradients)
    expect(after.kernels - before.kernels).toBeGreaterThanOrEqual(15);
    // what was freed while the queue ran (its scratch, its inputs once used) went back once it was done
    expect(after.freed - before.freed).toBeGreaterThanOrEqual(10);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(dataIds);
    expect(deferred.length).toBe(plain.length);
    deferred.forEach((v, i) =>
      expect(Buffer.from(v.buffer).equals(Buffer.from(plain[i]!.buffer)), `output ${i}`).toBe(true),
    );
    // outside withDeferredBackward nothing is queued
    step(tower, false);
    expect(deferredStats()).toEqual(after);
    tower.dispose();
  });

  it('an image pass begun before the text side (withMeanwhile): the same gradients, its convolutions queued while the text side runs here, its backward queued before theirs', async () => {
    expect((await initBackend({ backend: 'wasm', threads: 2, quiet: true })).threads).toBe(2);
    const tower = cnn(24, [16, 32, 64]);
    const w = tf.variable(randT(83, [32, 16]), true, 'defer-test/meanwhile-w');
    const vars = [...tower.variables(), w];
    type Way = 'in turn' | 'meanwhile' | 'after'; // text then images as before; the encoder calls meanwhile; it does not
    const run = (way: Way) => {
      const at = { start: 0, meanwhile: -1, forward: 0, textGrad: -1 };
      const outs = withDeferredBackward(() =>
        tf.tidy(() => {
          const images = tf.tidy(() => tf.div(tf.add(randT(81, [48, 24, 24, 3]), 3), 6)) as tf.Tensor4D;
          const side = randT(82, [300, 32]);
          // the text side's first op: its gradient runs last in its backward pass, and records what was queued by then
          const mark = custom((x: tf.Tensor, save: tf.GradSaveFunc) => {
            save([x]);
            return {
              value: tf.relu(x),
              gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => {
                at.textGrad = deferredStats().kernels;
                return [tf.mul(dy, tf.step(xs!))];
              },
            };
          });
          const { value, grads } = tf.variableGrads(() => {
            at.start = deferredStats().kernels;
            let text: tf.Tensor2D | undefined;
            const textSide = () => {
              at.meanwhile = deferredStats().kernels;
              text = tf.tanh(mark(linear(side, w as tf.Tensor2D))) as tf.Tensor2D; // (300, 16)
            };
            let emb: tf.Tensor2D;
            if (way === 'in turn') {
              textSide();
              emb = tower.encode(images, { training: true });
            } else
              emb = withMeanwhile(
                (m) =>
                  tower.encode(images, way === 'meanwhile' ? { training: true, meanwhile: m } : { training: true }),
                textSide,
              );
            at.forward = deferredStats().kernels;
            return weightedSum(tf.matMul(emb, text!, false, true));
          }, vars);
          drainDeferred();
          return [value, ...vars.map((v) => grads[v.name]!)];
        }),
      );
      const values = outs.map((t) => Buffer.from((t.dataSync() as Float32Array).buffer));
      tf.dispose(outs);
      return { values, at, end: deferredStats().kernels };
    };
    const plain = run('in turn');
    const tensors = tf.memory().numTensors;
    const dataIds = tf.backend().numDataIds();
    for (const way of ['meanwhile', 'after'] as const) {
      const { values, at, end } = run(way);
      values.forEach((v, i) => expect(v.equals(plain.values[i]!), `${way}: output ${i}`).toBe(true));
      // the convolutions (3 stages: products and pooling) were queued before the text side ran, when it took meanwhile
      if (way === 'meanwhile') expect(at.meanwhile - at.start).toBeGreaterThanOrEqual(6);
      else expect(at.meanwhile).toBe(at.forward);
      // the tower's backward pass, its convolutions' included, was all queued before the text side's ran here
      expect(end - at.forward).toBeGreaterThanOrEqual(10);
      expect(at.textGrad).toBe(end);
    }
    // in turn (the text side first), the tower's backward is queued before the text side's too: the order kept
    expect(plain.at.textGrad).toBe(plain.end);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(dataIds);
    tower.dispose();
    w.dispose();
  });

  it('withMeanwhile runs meanwhile once: where f calls it, or after f; a second call is an error', () => {
    const order: string[] = [];
    expect(
      withMeanwhile(
        () => (order.push('f'), 1),
        () => order.push('meanwhile'),
      ),
    ).toBe(1);
    expect(
      withMeanwhile(
        (m) => (order.push('f1'), m(), order.push('f2'), 2),
        () => order.push('meanwhile'),
      ),
    ).toBe(2);
    expect(order).toEqual(['f', 'meanwhile', 'f1', 'meanwhile', 'f2']);
    expect(() =>
      withMeanwhile(
        (m) => (m(), m()),
        () => {},
      ),
    ).toThrow('withMeanwhile: meanwhile was called twice');
  });

  it("the text side's tensors are read at once while the queue runs (tfjs's wasm Slice, in stack's gradient, reads them)", async () => {
    await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    // a tower whose backward pass keeps the worker busy for milliseconds (48 images of 24 px)
    const tower = cnn(24, [16, 32, 64]);
    const w = tf.variable(randT(63, [16, 16]), true, 'defer-test/text-w');
    const vars = [...tower.variables(), w];
    // as the fusion in stage 3: the text side stacks and concatenates (stack's gradient slices dy, and tfjs's wasm
    // Slice reads its input back), encoded before the images, so its backward pass runs while the queue does
    const run = () =>
      tf.tidy(() => {
        const images = tf.tidy(() => tf.div(tf.add(randT(61, [48, 24, 24, 3]), 3), 6)) as tf.Tensor4D;
        const side = randT(62, [300, 16]);
        const { value, grads } = tf.variableGrads(() => {
          const h = linear(side, w as tf.Tensor2D); // (300, 16)
          const both = tf.concat([tf.stack([h, tf.relu(h)], 1), tf.expandDims(h, 1)], 1); // (300, 3, 16)
          const text = tf.sum(both, 1) as tf.Tensor2D; // (300, 16)
          const emb = tower.encode(images, { training: true }); // (48, 16)
          return weightedSum(tf.matMul(emb, text, false, true));
        }, vars);
        drainDeferred();
        return [value, ...vars.map((v) => grads[v.name]!)];
      });
    const read = (outs: tf.Tensor[]) => {
      const values = outs.map((t) => Buffer.from((t.dataSync() as Float32Array).buffer));
      tf.dispose(outs);
      return values;
    };
    const plain = read(run());
    const before = deferredStats();
    const deferred = read(withDeferredBackward(run));
    const after = deferredStats();
    expect(after.kernels - before.kernels).toBeGreaterThanOrEqual(15);
    expect(after.waits).toBe(before.waits); // no read waited for the queue: the slices read the text side's tensors
    deferred.forEach((v, i) => expect(v.equals(plain[i]!), `output ${i}`).toBe(true));
    tower.dispose();
    w.dispose();
  });

  it("a tensor the queue writes: reading it back, or a tfjs kernel given it, waits for the queue (the queue's values)", async () => {
    await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    const be = asWasm(tf.backend());
    const [a, other] = [randT(71, [1024, 1024]), randT(72, [64])];
    const want = tf.matMul(a, a);
    const wantPlus = tf.add(want, 1);
    // the engine's guard is installed by the first deferBackward in a tape (a Reshape: nothing queued)
    withDeferredBackward(() =>
      tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(deferBackward(() => tf.reshape(t, [-1]))))(other)),
    );
    for (const use of ['read', 'kernel'] as const) {
      const w0 = deferredStats().waits;
      // ≈ 2 GFLOP on the worker (tens of ms), into an output made in the section, as a queued kernel's is
      const y = deferKernels(be, () => {
        const out = tf.engine().makeTensorFromTensorInfo(be.makeOutput([1024, 1024], 'float32'));
        gemm(be, ptr(be, a), 1024, 1, ptr(be, a), 1024, ptr(be, out), 1024, 1024, 1024, 1024);
        return out;
      });
      other.dataSync(); // not the queue's: read at once
      expect(deferredStats().waits).toBe(w0);
      const got = use === 'read' ? y : tf.add(y, 1);
      expect(deferredStats().waits).toBe(w0 + (use === 'kernel' ? 1 : 0));
      const ref = use === 'read' ? want : wantPlus;
      expect(Buffer.from((got.dataSync() as Float32Array).buffer).equals(Buffer.from(ref.dataSync().buffer))).toBe(
        true,
      );
      expect(deferredStats().waits).toBe(w0 + 1);
      drainDeferred();
      tf.dispose(use === 'read' ? [y] : [y, got]);
    }
    tf.dispose([a, other, want, wantPlus]);
  });

  it('global average pooling: tf.mean, and its gradient the values of tfjs Mean gradient', async () => {
    await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    const x = randT(31, [5, 3, 3, 20]) as tf.Tensor4D;
    const ours = tf.grad((t: tf.Tensor) => weightedSum(globalAvgPool(t as tf.Tensor4D)))(x);
    const stock = tf.grad((t: tf.Tensor) => weightedSum(tf.mean(t, [1, 2])))(x);
    expect(Array.from(ours.dataSync())).toEqual(Array.from(stock.dataSync()));
    expect(Array.from(globalAvgPool(x).dataSync())).toEqual(Array.from(tf.mean(x, [1, 2]).dataSync()));
    tf.dispose([x, ours, stock]);
  });

  it('a stock tfjs kernel in a deferred backward pass is an error naming it, not values read too early', async () => {
    await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    const x = randT(41, [8, 16]);
    // ReLU's gradient is tfjs's (Step, Multiply, through the engine), l2Normalize's stock kernels called directly
    // (StockKernels): either would read dy before the queue wrote it
    const grad = (op: (y: tf.Tensor) => tf.Tensor) => () =>
      withDeferredBackward(() =>
        tf.tidy(() => {
          const g = tf.grad((t: tf.Tensor) => tf.sum(deferBackward(() => op(linear(t, x as tf.Tensor2D)))))(
            randT(42, [5, 8]),
          );
          drainDeferred();
          return g;
        }),
      );
    expect(grad(tf.relu)).toThrow(/^deferBackward: the tfjs kernel (Step|Multiply) ran in a deferred backward pass/);
    // and in a deferred forward pass: the kernel itself
    const forward = () =>
      withDeferredBackward(() =>
        tf.tidy(() => {
          const g = tf.grad((t: tf.Tensor) => tf.sum(deferForward(() => tf.relu(linear(t, x as tf.Tensor2D)))))(
            randT(42, [5, 8]),
          );
          drainDeferred();
          return g;
        }),
      );
    expect(forward).toThrow(/^deferForward: the tfjs kernel Relu ran in a deferred forward pass/);
    expect(grad((y) => l2Normalize(y as tf.Tensor2D))).toThrow(
      /^deferBackward: the tfjs kernel Multiply ran in a deferred backward pass/,
    );
    // the pool goes on: a deferred step afterwards still gives the plain one's gradients
    const plain = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(linear(t, x as tf.Tensor2D)))(randT(42, [5, 8])));
    const deferred = withDeferredBackward(() =>
      tf.tidy(() => {
        const g = tf.grad((t: tf.Tensor) => tf.sum(deferBackward(() => linear(t, x as tf.Tensor2D))))(
          randT(42, [5, 8]),
        );
        drainDeferred();
        return g;
      }),
    );
    expect(Array.from(deferred.dataSync())).toEqual(Array.from(plain.dataSync()));
    tf.dispose([x, plain, deferred]);
  });

  it('the pool grows back to 2 parts when the queue is done, between two calls: splitRun keeps to the parts sized', async () => {
    await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    const be = asWasm(tf.backend());
    const [a, c] = [randT(51, [1024, 1024]), tf.zeros([1024, 1024])];
    // ≈ 2 GFLOP queued: the worker is busy for tens of ms
    deferKernels(be, () => gemm(be, ptr(be, a), 1024, 1, ptr(be, a), 1024, ptr(be, c), 1024, 1024, 1024, 1024));
    const sized = splitParts(be, 8, 1, 1); // as attention sizes its per-part scratch
    expect(sized).toBe(1);
    const t0 = Date.now();
    while (Date.now() - t0 < 500); // the queue ends meanwhile
    const parts: number[] = [];
    const record = (s0: number, n: number, part: number) => {
      parts.push(part);
      const at = ptr(be, c) + 4 * s0;
      return [at, at, at, n]; // c += c over the part's floats
    };
    splitRun(be, 'vadd', 8, 1, 1, record, sized);
    expect(parts).toEqual([0]); // never a part the scratch was not sized for
    splitRun(be, 'vadd', 8, 1, 1, record);
    expect(parts.slice(1).sort()).toEqual([0, 1]); // unbounded, the same call now takes 2 parts
    drainDeferred();
    tf.dispose([a, c]);
  });

  it('kernels appended while the worker is paused at the end of the queue still run before the drain returns', async () => {
    // the worker finds the queue empty and is descheduled (here: paused 40 ms) between its reads of "closed" and of
    // the tail; meanwhile this thread appends a kernel and closes the queue
    process.env.UNIR_WASM_QUEUE_PAUSE_MS = '40';
    try {
      await disposeBackend();
      await initBackend({ backend: 'wasm', threads: 2, quiet: true }); // a new pool: its worker reads the pause
      const be = asWasm(tf.backend());
      const vadd = (a: number, b: number, out: number, n: number) => simdKernels(be).vadd(a, b, out, n); // queued inside
      const n = 4096;
      const x = randT(61, [n]);
      const [y1, y2] = [tf.zeros([n]), tf.fill([n], 7)];
      const [px, p1, p2] = [x, y1, y2].map((t) => ptr(be, t)) as [number, number, number];
      const before = deferredStats().kernels;
      for (let round = 0; round < 5; round++) {
        deferKernels(be, () => vadd(px, px, p1, n)); // y1 = 2x
        const t0 = performance.now();
        while (performance.now() - t0 < 5); // the worker runs it and finds the queue empty
        deferKernels(be, () => vadd(p1, px, p2, n)); // y2 = 3x, appended to the same queue
        const queued = deferredStats().kernels;
        drainDeferred(); // closes it
        expect(queued).toBe(2 * (round + 1) + before);
        const want = x.dataSync().map((v) => v + v + v);
        expect(Array.from(y2.dataSync())).toEqual(Array.from(want));
        f32(be, y2).fill(7); // what an unrun kernel would leave
      }
      tf.dispose([x, y1, y2]);
    } finally {
      delete process.env.UNIR_WASM_QUEUE_PAUSE_MS;
      await disposeBackend();
    }
  });

  it('a queued kernel that traps fails with the pool one-line error at the drain, and the pool stops', async () => {
    await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    const be = asWasm(tf.backend());
    // gap_bwd writing far past the heap: the worker traps
    deferKernels(be, () => {
      simdKernels(be).gap_bwd(0, 2 ** 31, 1, 4, 4);
    });
    expect(() => drainDeferred()).toThrow(
      "unir gemm pool: kernel (a deferred one) failed on a worker thread (a wasm trap, or the native gemm's heap check); set UNIR_WASM_THREADS=1 to train on one thread",
    );
    expect(gemmThreads(be)).toBe(1);
    await disposeBackend();
  });
});

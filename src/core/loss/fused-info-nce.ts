import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { StockKernels } from '../backend/stock-kernels';
import { asWasm, onWasmFloat32 } from '../backend/wasm-heap';
import { clampAboveMax } from './ops';

export interface InfoNceTerms {
  infoNce: tf.Scalar;
  aToB: tf.Scalar;
  bToA: tf.Scalar;
  temperature: tf.Scalar;
}

/**
 * The info-nce loss (plugins/losses/info-nce.ts) as tfjs ops: logits = exp(clampAboveMax(logitScale, maxLog))·a·bᵀ,
 * cross-entropy of each row against the diagonal both ways. a, b (B, D), logitScale ().
 */
export function composedInfoNce(a: tf.Tensor, b: tf.Tensor, logitScale: tf.Tensor, maxLog: number): InfoNceTerms {
  const batch = a.shape[0]!;
  const scale = tf.exp(clampAboveMax(logitScale as tf.Scalar, maxLog)); // ()
  const logits = tf.mul(scale, tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true)); // (B, B)
  const eye = tf.eye(batch); // (B, B): the positives
  const aToB = tf.div(tf.neg(tf.sum(tf.mul(eye, tf.logSoftmax(logits)))), batch) as tf.Scalar;
  const bToA = tf.div(tf.neg(tf.sum(tf.mul(eye, tf.logSoftmax(tf.transpose(logits))))), batch) as tf.Scalar;
  return {
    infoNce: tf.div(tf.add(aToB, bToA), 2) as tf.Scalar,
    aToB,
    bToA,
    temperature: tf.div(1, scale) as tf.Scalar,
  };
}

/**
 * composedInfoNce as one tape node on wasm, and the gradient tfjs composes for them, op for op: every value
 * comes from the same registered wasm kernel with the same inputs, called directly instead of through the engine
 * (≈ 20 engine ops forward and ≈ 35 backward a loss):
 *   scale = exp(clampAboveMax(logitScale, maxLog)); logits = scale · a·bᵀ (B, B)
 *   aToB = −Σ(eye ⊙ logSoftmax(logits)) / B; bToA the same over logitsᵀ; infoNce = (aToB + bToA) / 2
 *   temperature = 1 / scale
 * Only infoNce (the term training minimises) carries the gradient, into a, b and logitScale; aToB, bToA and
 * temperature are values. The places the composed gradient multiplies by an exact 1 (Sum's broadcast through ones,
 * casts of float32 to float32) are left out: x·1 = x. Null off wasm float32.
 */
export function fusedInfoNce(a: tf.Tensor, b: tf.Tensor, logitScale: tf.Tensor, maxLog: number): InfoNceTerms | null {
  if (!onWasmFloat32([a, b, logitScale]) || a.rank !== 2 || b.rank !== 2) return null;
  const batch = a.shape[0]!;
  let values: number[] = [];
  const op = tf.customGrad(((ai: tf.Tensor, bi: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
    const k = new StockKernels(asWasm(tf.backend()));
    try {
      const scale = k.run('Exp', { x: k.run('Minimum', { a: vi, b: k.scalar(maxLog) }) }); // ()
      const mm = k.run('BatchMatMul', { a: ai, b: bi }, { transposeA: false, transposeB: true }); // (B, B)
      const logits = k.run('Multiply', { a: scale, b: mm });
      const eye = k.eye(batch);
      const ls1 = logSoftmax(k, logits);
      const ls2 = logSoftmax(k, k.run('Transpose', { x: logits }, { perm: [1, 0] }));
      const n = k.scalar(batch);
      const term = (ls: TensorInfo) =>
        k.run('RealDiv', {
          a: k.run('Neg', {
            x: k.run('Sum', { x: k.run('Multiply', { a: eye, b: ls }) }, { axis: [0, 1], keepDims: false }),
          }),
          b: n,
        });
      const aToB = term(ls1);
      const bToA = term(ls2);
      const value = k.keep(k.run('RealDiv', { a: k.run('Add', { a: aToB, b: bToA }), b: k.scalar(2) }));
      // the other terms leave as numbers: the op's scope frees all but its value and what it saves
      values = [aToB, bToA, k.run('RealDiv', { a: k.scalar(1), b: scale })].map((t) => k.read(t));
      save([ai, bi, vi, ...[scale, mm, ls1, ls2, eye].map((t) => k.keep(t))]);
      return {
        value,
        gradFunc: (dy: tf.Tensor, [as, bs, vs, sc, mms, l1, l2, id]: tf.Tensor[]) => {
          const g = new StockKernels(asWasm(tf.backend()));
          try {
            // infoNce = (aToB + bToA) / 2; each term = −Σ(eye ⊙ ls) / B, then logSoftmax's own gradient
            const half = g.run('RealDiv', { a: dy, b: g.scalar(2) });
            const nb = g.scalar(batch);
            const dLogits = (ls: tf.Tensor) => {
              const ds = g.run('Neg', { x: g.run('RealDiv', { a: half, b: nb }) }); // ()
              const dl = g.run('Multiply', { a: ds, b: id! }); // (B, B)
              const soft = g.run('Exp', { x: ls });
              const rowSum = g.run('Sum', { x: dl }, { axis: 1, keepDims: true });
              return g.run('Sub', { a: dl, b: g.run('Multiply', { a: rowSum, b: soft }) });
            };
            const dl1 = dLogits(l1!);
            const dl2 = g.run('Transpose', { x: dLogits(l2!) }, { perm: [1, 0] });
            const dl = g.run('Add', { a: dl1, b: dl2 });
            // logits = scale · mm
            const dmm = g.run('Multiply', { a: dl, b: sc! });
            const dScale = g.run(
              'Sum',
              { x: g.run('Multiply', { a: dl, b: mms! }) },
              { axis: [0, 1], keepDims: false },
            );
            // mm = a·bᵀ
            const da = g.run('BatchMatMul', { a: dmm, b: bs! }, { transposeA: false, transposeB: false });
            const db = g.run('BatchMatMul', { a: dmm, b: as! }, { transposeA: true, transposeB: false });
            // scale = exp(c), c = clampAboveMax(v): passes where v ≤ maxLog or the gradient would lower v
            const dc = g.run('Multiply', { a: dScale, b: sc! });
            const through = g.run('LogicalOr', {
              a: g.run('LessEqual', { a: vs!, b: g.scalar(maxLog) }),
              b: g.run('Greater', { a: dc, b: g.scalar(0) }),
            });
            const dv = g.run('Multiply', { a: dc, b: g.run('Cast', { x: through }, { dtype: 'float32' }) });
            return [g.keep(da), g.keep(db), g.keep(dv)];
          } finally {
            g.dispose();
          }
        },
      };
    } finally {
      k.dispose();
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0]); // (core/loss sits below nn's typed `custom`)
  const infoNce = op(a, b, logitScale) as tf.Scalar;
  const [aToB, bToA, temperature] = values.map((v) => tf.scalar(v)); // float32 values: exact
  return { infoNce, aToB: aToB!, bToA: bToA!, temperature: temperature! };
}

/** tf.logSoftmax over the last axis of (B, B), as tfjs composes it: x − max − log Σ exp(x − max). */
function logSoftmax(k: StockKernels, x: TensorInfo): TensorInfo {
  const shifted = k.run('Sub', { a: x, b: k.run('Max', { x }, { reductionIndices: 1, keepDims: true }) });
  return k.run('Sub', {
    a: shifted,
    b: k.run('Log', { x: k.run('Sum', { x: k.run('Exp', { x: shifted }) }, { axis: 1, keepDims: true }) }),
  });
}

import * as tf from '@tensorflow/tfjs-core';
import { StockKernels } from '../backend/stock-kernels';
import { asWasm, onWasmFloat32 } from '../backend/wasm-heap';
import { custom } from './fused';

/**
 * l2Normalize's ops as one tape node on wasm: x · rsqrt(max(Σ x², eps)) over the last axis, and the gradient tfjs
 * composes for those five ops (Square, Sum, Maximum, Rsqrt, Multiply), op for op: every value comes from the same
 * registered wasm kernel with the same inputs, called directly instead of through the engine (≈ 25 engine ops a
 * pass each way, a tenth of a training step's). The two places the composed gradient multiplies by an exact 1 (Sum's
 * broadcast through ones, the casts of float32 to float32) are left out: x·1 = x. Null off wasm float32.
 */
export function fusedL2Normalize<T extends tf.Tensor>(x: T, eps: number): T | null {
  if (!onWasmFloat32([x]) || x.rank === 0) return null;
  const axis = x.rank - 1;
  const op = custom((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    const k = new StockKernels(asWasm(tf.backend()));
    try {
      const e = k.scalar(eps);
      const s = k.run('Sum', { x: k.run('Square', { x: xi }) }, { axis, keepDims: true }); // (…, 1)
      const m = k.run('Maximum', { a: s, b: e });
      const r = k.run('Rsqrt', { x: m });
      const y = k.keep(k.run('Multiply', { a: xi, b: r }));
      save([xi, ...[s, m, r].map((t) => k.keep(t))]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, [xs, ss, ms, rs]: tf.Tensor[]) => {
          const g = new StockKernels(asWasm(tf.backend()));
          try {
            // Multiply: dy·r into x, Σ_last(dy·x) into r
            const dxMul = g.run('Multiply', { a: dy, b: rs! });
            const dr = g.run('Sum', { x: g.run('Multiply', { a: dy, b: xs! }) }, { axis, keepDims: true });
            // Rsqrt: −dr / (m^1.5 · 2)
            const p = g.run('Multiply', { a: g.run('Pow', { a: ms!, b: g.scalar(1.5) }), b: g.scalar(2) });
            const dm = g.run('Neg', { x: g.run('RealDiv', { a: dr, b: p }) });
            // Maximum: through where s ≥ eps
            const on = g.run('Cast', { x: g.run('GreaterEqual', { a: ss!, b: g.scalar(eps) }) }, { dtype: 'float32' });
            const ds = g.run('Multiply', { a: dm, b: on });
            // Sum (ds broadcast over the last axis), Square: ds · (x · 2)
            const dxSq = g.run('Multiply', { a: ds, b: g.run('Multiply', { a: xs!, b: g.scalar(2) }) });
            return [g.keep(g.run('Add', { a: dxMul, b: dxSq }))];
          } finally {
            g.dispose();
          }
        },
      };
    } finally {
      k.dispose();
    }
  });
  return op(x) as T;
}

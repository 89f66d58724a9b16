import * as tf from '@tensorflow/tfjs-core';
import { deferKernels, deferringKernels, drainForInputs, stockKernelDeferred } from '../backend/simd/pool';
import { asWasm } from '../backend/wasm-heap';

interface TapeNode {
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
}
interface EngineState {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
}

let allowed = false;

/**
 * Runs f (a training step's forward and backward passes) with deferBackward on (train/step.ts, the bench's step), or
 * f() alone with UNIR_DEFER_BACKWARD=0; the caller calls pool.ts drainDeferred before reading the gradients. A tfjs
 * kernel given a tensor the queue writes (the two gradients of a tensor fed to two deferred sections, added) waits for
 * the queue first, so that costs the overlap, not the values.
 */
export function withDeferredBackward<T>(f: () => T): T {
  if (process.env.UNIR_DEFER_BACKWARD === '0') return f();
  const was = allowed;
  allowed = true;
  try {
    return f();
  } finally {
    allowed = was;
  }
}

let guarded = false;
/**
 * tfjs's engine refuses to run a kernel while unir's kernels are being queued (a view, Reshape, only changes a
 * shape); after the deferred section, a kernel given a tensor the queue makes waits for the queue first.
 */
function guardEngine(): void {
  if (guarded) return;
  guarded = true;
  type Params = { kernelName?: string; inputs?: Record<string, tf.Tensor | undefined> };
  const engine = tf.engine() as unknown as { runKernelFunc(p: Params): unknown };
  const run = engine.runKernelFunc.bind(engine);
  engine.runKernelFunc = (p) => {
    if (!deferringKernels()) drainForInputs(p.inputs);
    else if (p.kernelName && p.kernelName !== 'Reshape') throw stockKernelDeferred(p.kernelName);
    return run(p);
  };
}

/**
 * y = f(), with the backward pass of the ops f records on the gradient tape queued for a worker thread (pool.ts
 * deferKernels) while this thread computes the rest of the backward pass: the kernels of each of those ops'
 * gradients, in tfjs's order, run on the worker as they would on one thread (the same bits). f's ops must compute
 * their gradients with unir's kernels only (simdKernels, the pool's shared paths): conv2d, maxPool2, globalAvgPool,
 * Dense; a stock tfjs kernel would run at once on data the queue has not written yet, so one that runs there (through
 * tfjs's engine or StockKernels) throws, naming it. The gradients f's ops hand
 * back are read (and the queue waited for) through drainDeferred, before the optimizer reads them (train/step.ts).
 * Outside withDeferredBackward or a gradient tape, or off wasm, f() alone.
 */
export function deferBackward<T extends tf.Tensor>(f: () => T): T {
  const { state } = tf.engine() as unknown as EngineState;
  const tape = state.activeTape;
  if (!allowed || tf.getBackend() !== 'wasm' || !tape || state.gradientDepth === 0) return f();
  guardEngine();
  const be = asWasm(tf.backend());
  const first = tape.length;
  const y = f();
  for (const node of tape.slice(first)) {
    const gradient = node.gradient;
    if (!gradient) continue;
    node.gradient = (dys) => {
      const grads = deferKernels(be, () => gradient(dys));
      return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, () => deferKernels(be, g)]));
    };
  }
  return y;
}

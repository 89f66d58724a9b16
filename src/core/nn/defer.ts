import * as tf from '@tensorflow/tfjs-core';
import {
  deferKernels,
  deferringKernels,
  deferSection,
  drainForInputs,
  stockKernelDeferred,
} from '../backend/simd/pool';
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

/** tfjs kernels that may run while unir's kernels are queued: views, and unir's own made of its kernels alone. */
const queueable = new Set(['Reshape', 'Identity']);

/** Lets the tfjs kernel `name` run inside a deferred section: its kernelFunc runs unir's kernels alone (conv.ts). */
export function queueableKernel(name: string): void {
  queueable.add(name);
}

let guarded = false;
/**
 * tfjs's engine refuses to run a kernel while unir's kernels are being queued, but for the queueable ones (a view,
 * Reshape or Identity, only changes a shape; unir's own kernels queue theirs); after the deferred section, a kernel
 * given a tensor the queue makes waits for the queue first.
 */
function guardEngine(): void {
  if (guarded) return;
  guarded = true;
  type Params = { kernelName?: string; inputs?: Record<string, tf.Tensor | undefined> };
  const engine = tf.engine() as unknown as { runKernelFunc(p: Params): unknown };
  const run = engine.runKernelFunc.bind(engine);
  engine.runKernelFunc = (p) => {
    if (!deferringKernels()) drainForInputs(p.inputs);
    else if (p.kernelName && !queueable.has(p.kernelName)) throw stockKernelDeferred(p.kernelName);
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
  if (!deferrable()) return f();
  const tape = (tf.engine() as unknown as EngineState).state.activeTape!;
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

/** Whether a deferred section may start here: withDeferredBackward on, a gradient tape recording, on wasm. */
function deferrable(): boolean {
  const { state } = tf.engine() as unknown as EngineState;
  return allowed && tf.getBackend() === 'wasm' && !!state.activeTape && state.gradientDepth > 0;
}

/**
 * y = f(), with f's kernels (unir's alone, as deferBackward's f) queued for a worker thread: this thread goes on at
 * once, and reads y (or runs a kernel on it) only after the queue is done (pool.ts). For a pass started before work
 * of this thread's own that does not read it (withMeanwhile). Where deferBackward would not defer, f() alone.
 */
export function deferForward<T>(f: () => T): T {
  if (!deferrable()) return f();
  guardEngine();
  deferSection.pass = 'forward';
  try {
    return deferKernels(asWasm(tf.backend()), f);
  } finally {
    deferSection.pass = 'backward';
  }
}

/**
 * y = f(m), where f calls m() at most once, when its own first part is queued (deferForward) and before it reads
 * that part's output; `meanwhile` (work that reads nothing f makes, and that f does not read) runs then, or after f
 * when f did not call m. On the gradient tape, f's ops recorded before `meanwhile` are moved after meanwhile's, so
 * that the backward pass reaches them first: their gradients (deferBackward) are queued for the worker before
 * meanwhile's backward pass runs here, as when meanwhile ran first. The same values and gradients as meanwhile()
 * then f() to the bit where the two draw no random numbers and share no variable (a shared one's gradient would sum
 * its two parts in the other order).
 */
export function withMeanwhile<T>(f: (m: () => void) => T, meanwhile: () => void): T {
  const { state } = tf.engine() as unknown as EngineState;
  const tape = state.activeTape;
  const first = tape?.length ?? 0;
  let at: [start: number, end: number] | undefined;
  const m = () => {
    if (at) throw new Error('withMeanwhile: meanwhile was called twice');
    const start = tape?.length ?? 0;
    meanwhile();
    at = [start, tape?.length ?? 0];
  };
  const y = f(m);
  if (!at) m();
  if (tape && state.activeTape === tape) {
    const [start, end] = at!;
    // f's ops before meanwhile [first, start) go after meanwhile's [start, end): the order stays topological, as
    // neither reads what the other makes
    if (start > first && end > start)
      tape.splice(first, end - first, ...tape.slice(start, end), ...tape.slice(first, start));
  }
  return y;
}

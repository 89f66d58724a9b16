import { Worker } from 'node:worker_threads';
import { UserError } from '../../errors';
import { newTensors, ptr, type WasmBackend } from '../wasm-heap';
import { NATIVE_OPS, nativeGemmPath } from '../native/native';
import type { GemmArgs, GemmBatchArgs } from './gemm-args';
import { gemmPack, memoryOf, relaxedSimd, setDeferTarget, sharedMemory, simdKernels, simdModule } from './simd-kernels';

/**
 * More threads for unir's kernels. tfjs's threaded wasm build shares its memory with workers: each Node worker
 * here instantiates kernels.c over that memory, and a large job is cut into equal parts computed at once by the
 * calling thread and the workers — a product by batch, else by rows in multiples of 4 (gemm, gemmBatch); AdamW,
 * GELU and ReLU by element ranges, attention, im2col / col2im and pooling by batch rows, token packing by token
 * ranges, image augmentations by images (splitRun). Every output element is computed by the same code as on one thread, so results are
 * bit-identical whatever the thread count.
 * Hand-off by Atomics on one small control block per worker; a worker spins ≈ 2 ms after each job (products
 * come every few hundred µs in a training step) and then sleeps in Atomics.wait. A job is claimed once, by its worker
 * or, when the worker has not started it by the time this thread's part is done, by this thread (fanOut): in a check
 * run of the paper recipe (480 steps and 4 evaluations) this thread's waits fell from 5.4 to 2.7 s, those of 1 ms or
 * more from 1,079 to 295 (the rest: workers descheduled in the middle of a job). tfjs's own XNNPACK pool is
 * kept at one thread while this runs: its spinning threads and these would compete for the same cores
 * (measured: 377–405 ms per paper step with both, 281–302 with this pool alone, 360–372 on one thread).
 * A second way to use a worker: deferKernels queues a section's kernels for it while the calling thread goes on
 * (an image tower's convolutions during the text side's forward pass, its backward pass during theirs: nn/defer.ts).
 */

// control block: Int32 0 job sequence, 1 finished sequence, 2 ready, 3 stop, 4 op (index in OPS), 5 failed (the
// kernel threw: a wasm trap), 6 claimed sequence (the last job someone took: the worker, or the calling thread taking
// back a job the worker had not started); from byte 32, the kernel's arguments as Float64 (pointers and sizes are
// exact there, scalars keep their value)
const SEQ = 0,
  DONE = 1,
  READY = 2,
  STOP = 3,
  OP = 4,
  FAILED = 5,
  CLAIM = 6,
  ARG_BYTE = 32,
  MAX_ARGS = 24;
// the deferred-kernel queue of a lane: Int32 0 tail (in Float64 slots), 1 closed; from byte 8, Q_SLOTS Float64 slots
const Q_TAIL = 0,
  Q_CLOSED = 1,
  Q_SLOTS = 1 << 14,
  QUEUE_OP = -1;
/** kernels.c exports a worker can run. */
export const OPS = [
  'gemm_batch',
  'gemm',
  'adamw',
  'attn_fwd',
  'attn_bwd',
  'gelu_fwd',
  'gelu_bwd',
  'im2col',
  'col2im',
  'conv_fwd',
  'conv_dw',
  'conv_dx',
  'bias_relu',
  'bias_add',
  'col_sum',
  'relu_bwd',
  'maxpool2_fwd',
  'maxpool2_bwd',
  'rowdot',
  'ln_fwd',
  'ln_bwd_chunks',
  'bag_fwd',
  'bag_bwd_range',
  'bag_scatter_compact',
  'rows_merge',
  'rows_finish',
  'adamw_rows',
  'vadd',
  'pack_rows',
  'unpack_rows',
  'aug_outline',
  'aug_stroke',
  'aug_affine',
  'aug_jitter',
  'aug_gray',
  'dots_f64',
  'transpose',
  'gap_bwd',
] as const;
export type PoolOp = (typeof OPS)[number];
const SPIN_MS = 2;
// A worker that exited fails the job at once; a live one is waited for this long (a busy, oversubscribed machine
// can deschedule a thread for seconds: 10 s was once too short for a sweep sharing 2 cores with other work).
// UNIR_WASM_STALL_MS overrides it (tests).
const STALL_MS = Number(process.env.UNIR_WASM_STALL_MS) || 120_000;
/**
 * Work below these sizes stays on the calling thread. A hand-off to a spinning worker costs a few µs, but one to
 * a sleeping worker (Atomics.wait; a small model's ops come more than SPIN_MS apart) costs ≈ 50–200 µs on a VM:
 * with the old limits (65,536 multiply-adds, attention from 2 rows) the smoke model's step took 23–25 ms on 2
 * threads against 16–19 on 1; with these, 18–19 on both, and the paper model's step is unchanged (≈ 620–655 ms).
 */
const DEFAULT_LIMITS = { macs: 1 << 22, elements: 1 << 18 };
/**
 * The limits while the workers still spin (a job ended less than HOT_MS ago): there a hand-off costs a few µs, so
 * work of ≈ 10–40 µs is worth sharing. The paper step's text side (600–1,104-row layer norms, GELUs and attention)
 * then runs on both threads, and each thread's rows stay in its own cache from one op to the next: in one process,
 * alternating steps with and without these, −13.5 ± 8.1 ms a paper step at 2 threads (100 pairs, 95 % CI); the smoke
 * model never reaches the configured limits, so its workers never spin and its step is unchanged (0.0 ± 0.7 ms).
 */
const HOT_LIMITS = { macs: 1 << 20, elements: 1 << 15 };
const HOT_MS = SPIN_MS / 2;
const configured = { ...DEFAULT_LIMITS };
/** When the last hand-off ended (performance.now()); the workers spin for SPIN_MS after it. */
let lastJobEnd = Number.NEGATIVE_INFINITY;
const hot = () => pool !== undefined && performance.now() - lastJobEnd < HOT_MS;
/**
 * macs: products (m·n·k), attention (rows · 2·Tq·Tk·H); elements: elementwise kernels (AdamW, GELU, ReLU gradient).
 * Read when an op runs: the hot limits (never above the configured ones) while the workers spin, else the configured.
 */
export const splitLimits = {
  get macs(): number {
    return hot() ? Math.min(configured.macs, HOT_LIMITS.macs) : configured.macs;
  },
  get elements(): number {
    return hot() ? Math.min(configured.elements, HOT_LIMITS.elements) : configured.elements;
  },
};
/** Rows of `rowFloats` floats from which an elementwise-in-rows kernel is shared (splitLimits.elements of work). */
export const minRowsToSplit = (rowFloats: number) => Math.ceil(splitLimits.elements / Math.max(rowFloats, 1));

/** Tests split small work to exercise the pool: setSplitLimits({ macs: 1, elements: 1 }); no argument restores. */
export function setSplitLimits(l: Partial<typeof DEFAULT_LIMITS> = DEFAULT_LIMITS): void {
  Object.assign(configured, DEFAULT_LIMITS, l);
}

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const k = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
const c = new Int32Array(workerData.control);
const f = new Float64Array(workerData.control, ${ARG_BYTE}, ${MAX_ARGS});
const ops = ${JSON.stringify(OPS)}.map((name) => k[name]);
const qc = new Int32Array(workerData.queue, 0, 2);
const qb = new Float64Array(workerData.queue, 8, ${Q_SLOTS});
// tests: a worker descheduled between the two reads of the queue's end (UNIR_WASM_QUEUE_PAUSE_MS)
const pause = (ms = workerData.pauseMs) => { for (const end = performance.now() + ms; performance.now() < end; ); };
if (workerData.native) {
  // NATIVE_OPS by the native addon, as on the calling thread (simd-kernels.ts nativeOps): op(heap, fused, ...the
  // job's arguments); the addon ignores the unused slots
  const nat = require(workerData.native);
  const mem = workerData.memory, fused = workerData.fused;
  let view = new Float32Array(mem.buffer);
  const heap = () => (view.buffer === mem.buffer ? view : (view = new Float32Array(mem.buffer)));
  for (const op of ${JSON.stringify(NATIVE_OPS)}) ops[${JSON.stringify(OPS)}.indexOf(op)] = (...a) => nat[op](heap(), fused, ...a);
}
let seen = Atomics.load(c, ${SEQ});
Atomics.store(c, ${READY}, 1);
parentPort.postMessage('ready');
for (;;) {
  const t0 = performance.now();
  let polls = 0;
  while (Atomics.load(c, ${SEQ}) === seen) {
    if ((++polls & 1023) === 0 && performance.now() - t0 > ${SPIN_MS}) Atomics.wait(c, ${SEQ}, seen, 1000);
  }
  seen = Atomics.load(c, ${SEQ});
  if (Atomics.load(c, ${STOP})) break;
  // jobs come one at a time, each claimed once: the calling thread took this one back (it had not been started);
  // tests: a worker descheduled before it claims its job (UNIR_WASM_CLAIM_PAUSE_MS)
  if (workerData.claimPauseMs) pause(workerData.claimPauseMs);
  if (Atomics.compareExchange(c, ${CLAIM}, seen - 1, seen) !== seen - 1) continue;
  try {
    if (c[${OP}] === ${QUEUE_OP}) {
      // the deferred queue: entries [op, n, ...n args] in order, as the calling thread appends them, until it closes
      for (let head = 0, polls = 0; ; ) {
        const tail = Atomics.load(qc, ${Q_TAIL});
        for (; head < tail; head += 2 + qb[head + 1]) ops[qb[head]].apply(null, qb.subarray(head + 2, head + 2 + qb[head + 1]));
        // closed is read before the tail: the calling thread stores its last tail before it closes, so a queue seen
        // closed is seen whole (read the other way round, a worker paused between the two reads left entries appended
        // meanwhile unrun: their outputs kept what malloc gave them)
        if ((Atomics.load(qc, ${Q_CLOSED}) || Atomics.load(c, ${STOP})) && (pause(), head === Atomics.load(qc, ${Q_TAIL}))) break;
        if ((++polls & 1023) === 0) Atomics.wait(qc, ${Q_TAIL}, head, 1);
      }
    } else ops[c[${OP}]].apply(null, f);
  } catch (e) {
    Atomics.store(c, ${FAILED}, 1);
  }
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}
`;

interface Lane {
  worker: Worker;
  control: Int32Array;
  args: Float64Array;
  seq: number;
  /** The deferred-kernel queue (deferKernels): control (tail, closed) and slots. */
  qctl: Int32Array;
  qbuf: Float64Array;
}
interface Pool {
  lanes: Lane[];
  memory: WebAssembly.Memory;
}
let pool: Pool | undefined;

/**
 * Starts `threads - 1` workers for this backend's shared memory and resolves once all are ready (rejects, with the
 * pool stopped, if one fails or none answers within 20 s); a no-op on a plain (single-thread) heap.
 */
export async function startGemmPool(be: WasmBackend, threads: number): Promise<void> {
  const memory = memoryOf(be);
  if (threads < 2 || !sharedMemory(memory)) return;
  if (pool?.memory === memory && pool.lanes.length === threads - 1) return;
  stopGemmPool();
  const module = simdModule(memory);
  const lanes = Array.from({ length: threads - 1 }, () => {
    const sab = new SharedArrayBuffer(ARG_BYTE + 8 * MAX_ARGS);
    const queue = new SharedArrayBuffer(8 + 8 * Q_SLOTS);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module,
        memory,
        control: sab,
        queue,
        native: nativeGemmPath(),
        fused: relaxedSimd() ? 1 : 0,
        pauseMs: Number(process.env.UNIR_WASM_QUEUE_PAUSE_MS) || 0,
        claimPauseMs: Number(process.env.UNIR_WASM_CLAIM_PAUSE_MS) || 0,
      },
    });
    return {
      worker,
      control: new Int32Array(sab, 0, ARG_BYTE / 4),
      args: new Float64Array(sab, ARG_BYTE, MAX_ARGS),
      seq: 0,
      qctl: new Int32Array(queue, 0, 2),
      qbuf: new Float64Array(queue, 8, Q_SLOTS),
    };
  });
  const p: Pool = { lanes, memory };
  pool = p;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(
        lanes.map(
          (l) =>
            new Promise<void>((ok, fail) => {
              l.worker.once('message', () => ok());
              l.worker.once('error', fail);
              l.worker.once('exit', (code) => fail(new Error(`worker exited (${code})`)));
            }),
        ),
      ),
      new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error('no answer within 20 s')), 20_000);
      }),
    ]);
  } catch (e) {
    if (pool === p) stopGemmPool();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  for (const l of lanes) {
    l.worker.removeAllListeners('exit');
    l.worker.on('error', () => {
      if (pool === p) pool = undefined;
    });
    l.worker.unref(); // the process may exit while workers wait for work
  }
}

/** Stops the workers (disposeBackend, or a backend restart). */
export function stopGemmPool(): void {
  deferred = undefined; // (its kept memory is left to the stopped backend: a worker may still be in a kernel)
  if (!pool) return;
  const p = pool;
  pool = undefined;
  for (const l of p.lanes) {
    Atomics.store(l.control, STOP, 1);
    Atomics.add(l.control, SEQ, 1);
    Atomics.notify(l.control, SEQ);
    void l.worker.terminate();
  }
}

/** Threads a product can use now: 1 + the ready workers on this backend's memory. */
export function gemmThreads(be: WasmBackend): number {
  if (!pool || pool.memory !== memoryOf(be)) return 1;
  return 1 + pool.lanes.filter((l) => Atomics.load(l.control, READY) === 1).length;
}

/**
 * Hands each ready worker its job (a kernels.c export and its arguments), runs `mine` here, then waits for them.
 * With `run` (the same kernels on this thread), a job its worker has not started by then is taken back and run here:
 * a worker descheduled by the machine (V8's compiler threads, the GC's, another process: 2 cores, 3 threads) or
 * still waking from Atomics.wait would otherwise hold up this thread for a scheduler slice (≈ 1–4 ms) where its
 * part of a job takes tens to hundreds of µs. Whoever runs a job runs the same arguments: the same bits.
 */
export function fanOut(
  jobs: { op: PoolOp; args: number[] }[],
  mine: () => void,
  run?: (op: PoolOp, args: number[]) => void,
): void {
  if (deferred) drainDeferred(); // (the shared paths split nothing while the queue runs: a safeguard)
  const lanes = pool!.lanes.filter((l) => Atomics.load(l.control, READY) === 1).slice(0, jobs.length);
  lanes.forEach((l, i) => post(l, OPS.indexOf(jobs[i]!.op), jobs[i]!.args));
  mine();
  lanes.forEach((l, i) => {
    if (run && Atomics.compareExchange(l.control, CLAIM, l.seq - 1, l.seq) === l.seq - 1) {
      taken.jobs++;
      run(jobs[i]!.op, jobs[i]!.args);
      Atomics.store(l.control, DONE, l.seq);
    } else awaitLane(l);
  });
  lastJobEnd = performance.now();
}

function post(l: Lane, op: number, args: readonly number[]): void {
  l.control[OP] = op;
  l.args.fill(0);
  l.args.set(args);
  Atomics.store(l.control, SEQ, ++l.seq);
  Atomics.notify(l.control, SEQ);
}

/** Waits for lane l's job; a UserError (the pool stopped) when it failed or did not answer within STALL_MS. */
function awaitLane(l: Lane): void {
  // Time waited, counted in slices of at most 1 s: a process stopped and resumed (Ctrl-Z / fg, SIGSTOP / SIGCONT,
  // a suspended laptop) sees one large jump of the clock that its workers also slept through; it is not a stall.
  let waited = 0;
  let last = Date.now();
  let polls = 0;
  while (Atomics.load(l.control, DONE) !== l.seq) {
    if (++polls < 100_000) continue;
    Atomics.wait(l.control, DONE, Atomics.load(l.control, DONE), 50);
    const now = Date.now();
    waited += Math.min(now - last, 1000);
    last = now;
    if (waited > STALL_MS) {
      stopGemmPool();
      throw new UserError(
        `unir gemm pool: a worker thread did not answer within ${STALL_MS / 1000} s; set UNIR_WASM_THREADS=1 to train on one thread`,
        1,
      );
    }
  }
  if (Atomics.load(l.control, FAILED)) {
    const op = l.control[OP]!;
    stopGemmPool();
    throw new UserError(
      `unir gemm pool: kernel ${op === QUEUE_OP ? '(a deferred one)' : OPS[op]} failed on a worker thread (a wasm trap, or the native gemm's heap check); set UNIR_WASM_THREADS=1 to train on one thread`,
      1,
    );
  }
}

/**
 * Deferred kernels: inside deferKernels, unir's kernels (simdKernels(be).op, and the shared paths, which then split
 * nothing) are appended to a queue that the first worker runs in order while this thread goes on; `drainDeferred`
 * waits for it. Each kernel runs as on one thread, so the results are the same bits. Meanwhile the kernels here run
 * on this thread alone, tensors freed are kept until the queue is done (the worker may still read them), and
 * reading back a tensor made in the section (one the queue writes) waits for the queue; others are read at once.
 * The caller keeps what the queue reads and writes to itself until it drains (used for an image tower's backward
 * pass while the text side's runs here, and its convolutions during the text side's forward pass: nn/defer.ts).
 */
interface Deferred {
  lane: Lane;
  be: WasmBackend;
  tail: number;
  /** Appending ended (this thread left the deferred section and ran a kernel of its own). */
  closed: boolean;
  frees: [offset: number, id: number][];
  /** The data ids of the tensors made inside the deferred section: the only ones the queue writes. */
  made: WeakSet<object>;
}
let deferred: Deferred | undefined;
let deferDepth = 0;
const stats = { kernels: 0, freed: 0, waits: 0 };
const taken = { jobs: 0 };

/** Whether kernels are being queued now (inside deferKernels): a stock tfjs kernel then must not run (nn/defer.ts). */
export const deferringKernels = () => deferDepth > 0;

/** Which section queues kernels now (nn/defer.ts sets it), for stockKernelDeferred's message. */
export const deferSection = { pass: 'backward' as 'backward' | 'forward' };

/** The error for a stock tfjs kernel run while unir's kernels are being queued. */
export const stockKernelDeferred = (name: string) =>
  new Error(
    deferSection.pass === 'backward'
      ? `deferBackward: the tfjs kernel ${name} ran in a deferred backward pass, where it would read values the worker has not written yet; keep ops whose gradients use stock tfjs kernels out of deferBackward`
      : `deferForward: the tfjs kernel ${name} ran in a deferred forward pass, where it would read values the worker has not written yet; keep ops that use stock tfjs kernels out of deferForward`,
  );

/**
 * Since the start (tests): kernels queued by deferKernels, tensors' memory kept for the queue and then freed, and
 * waits for the queue to read a tensor it writes (a read back, or a stock kernel's input).
 */
export const deferredStats = () => ({ ...stats });
/** Since the start (tests, probes): jobs the calling thread took back from a worker that had not started them. */
export const jobsTakenBack = () => taken.jobs;

/** Runs f with unir's kernels queued for the first worker (see Deferred); f() itself where there is no worker. */
export function deferKernels<T>(be: WasmBackend, f: () => T): T {
  const lane = pool?.memory === memoryOf(be) ? pool.lanes.find((l) => Atomics.load(l.control, READY) === 1) : undefined;
  if (!lane || (deferred && deferred.closed)) {
    if (deferred) drainDeferred();
    if (!lane) return f();
  }
  if (!deferred) startQueue(lane, be);
  deferDepth++;
  setDeferTarget(enqueue);
  try {
    return f();
  } finally {
    if (--deferDepth === 0) setDeferTarget(null);
  }
}

function startQueue(lane: Lane, be: WasmBackend): Deferred {
  Atomics.store(lane.qctl, Q_TAIL, 0);
  Atomics.store(lane.qctl, Q_CLOSED, 0);
  deferred = { lane, be, tail: 0, closed: false, frees: [], made: new WeakSet() };
  keepFrees(be);
  post(lane, QUEUE_OP, []);
  return deferred;
}

function enqueue(op: string, args: readonly number[]): void {
  let q = deferred!;
  const index = OPS.indexOf(op as PoolOp);
  if (index < 0) throw new Error(`deferKernels: kernel ${op} cannot run on a worker (not in pool.ts OPS)`);
  if (q.tail + 2 + args.length > Q_SLOTS) {
    // full: what is queued is run, then a new queue
    drainDeferred();
    q = startQueue(q.lane, q.be);
  }
  const b = q.lane.qbuf;
  b[q.tail] = index;
  b[q.tail + 1] = args.length;
  b.set(args, q.tail + 2);
  q.tail += 2 + args.length;
  stats.kernels++;
  Atomics.store(q.lane.qctl, Q_TAIL, q.tail);
  Atomics.notify(q.lane.qctl, Q_TAIL);
}

function closeDeferred(q: Deferred): void {
  if (q.closed) return;
  q.closed = true;
  Atomics.store(q.lane.qctl, Q_CLOSED, 1);
  Atomics.notify(q.lane.qctl, Q_TAIL);
}

/** Waits for the deferred queue (if any) and frees what was kept for it. */
export function drainDeferred(): void {
  const q = deferred;
  if (!q) return;
  closeDeferred(q);
  awaitLane(q.lane); // (a failed or stalled worker: the pool stops, the queue with it)
  deferred = undefined;
  releaseFrees(q);
  lastJobEnd = performance.now();
}

/**
 * Waits for the deferred queue when one of `inputs` (a kernel's, run on this thread) was made inside the deferred
 * section, so the queue may not have written it yet; other inputs are read at once.
 */
export function drainForInputs(inputs: Record<string, { dataId: object } | undefined> | undefined): void {
  const q = deferred;
  if (!q || !inputs) return;
  for (const k in inputs) {
    const t = inputs[k];
    if (t && q.made.has(t.dataId)) return waitForQueue();
  }
}

function waitForQueue(): void {
  stats.waits++;
  drainDeferred();
}

/** Threads the shared paths may use now: gemmThreads, or 1 while the deferred queue holds the worker. */
function threadsNow(be: WasmBackend): number {
  const q = deferred;
  if (q) {
    if (deferDepth > 0) return 1;
    closeDeferred(q); // a kernel of this thread's own: the deferred section is over
    if (Atomics.load(q.lane.control, DONE) !== q.lane.seq) return 1;
    drainDeferred();
  }
  return gemmThreads(be);
}

// While the queue runs, the backend's frees are kept (the worker may still read the memory): disposeData does its
// bookkeeping and returns as it would, and the memory goes back when the queue is done. Reading a tensor made in the
// deferred section (an output of a queued kernel, or of one on this thread meanwhile) waits for the queue; other
// tensors are read at once (tfjs's wasm Slice reads its input back: the text side's slices do not wait).
type Disposer = {
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: unknown): { dataId: object };
};
const hooked = new WeakSet<object>();
function keepFrees(be: WasmBackend): void {
  if (hooked.has(be)) return;
  hooked.add(be);
  const b = be as unknown as Disposer & {
    dataIdMap: {
      get(d: object): { refCount: number; memoryOffset: number; id: number } | undefined;
      delete(d: object): void;
    };
  };
  const dispose = b.disposeData.bind(b);
  const readSync = b.readSync.bind(b);
  const read = b.read.bind(b);
  const makeOutput = b.makeOutput.bind(b);
  b.makeOutput = (shape, dtype, memoryOffset, values) => {
    const out = makeOutput(shape, dtype, memoryOffset, values);
    if (deferDepth > 0 && deferred?.be === be) deferred.made.add(out.dataId);
    return out;
  };
  b.disposeData = (dataId, force = false) => {
    const q = deferred;
    if (!q || q.be !== be) return dispose(dataId, force);
    const d = b.dataIdMap.get(dataId);
    if (!d) return true;
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    q.frees.push([d.memoryOffset, d.id]);
    b.dataIdMap.delete(dataId);
    return true;
  };
  b.readSync = (dataId) => {
    if (deferred?.made.has(dataId)) waitForQueue();
    return readSync(dataId);
  };
  b.read = (dataId) => {
    if (deferred?.made.has(dataId)) waitForQueue();
    return read(dataId);
  };
}

function releaseFrees(q: Deferred): void {
  const w = (q.be as unknown as { wasm: { _free(p: number): void; tfjs: { disposeData(id: number): void } } }).wasm;
  for (const [offset, id] of q.frees) {
    w._free(offset);
    w.tfjs.disposeData(id);
  }
  stats.freed += q.frees.length;
  q.frees.length = 0;
}

/** Cuts n items into `parts` contiguous ranges, each a multiple of `unit` except the last. */
export function cuts(n: number, parts: number, unit: number): number[] {
  const edges = [0];
  for (let i = 1; i < parts; i++) edges.push(Math.min(n, Math.ceil((n * i) / parts / unit) * unit));
  edges.push(n);
  return edges;
}

/** A job run on this thread by the kernels a worker runs (simdKernels: kernels.c, or the native addon's NATIVE_OPS). */
const runner = (be: WasmBackend) => (op: PoolOp, args: number[]) =>
  (simdKernels(be) as unknown as Record<PoolOp, (...a: number[]) => void>)[op](...args);

/** kernels.c gemm (c = a·b with row strides ldb, ldc), its rows shared with the pool when that pays. */
export function gemm(be: WasmBackend, ...args: GemmArgs): void {
  const [a, sai, sak, b, ldb, c, ldc, m, n, k] = args;
  const kern = simdKernels(be);
  const t = m * n * k >= splitLimits.macs ? Math.min(threadsNow(be), m >> 2) : 1;
  if (t < 2) return kern.gemm(a, sai, sak, b, ldb, c, ldc, m, n, k, gemmPack(be));
  const e = cuts(m, t, 4);
  const jobs = e.slice(1, -1).map((r0, i) => ({
    op: 'gemm' as const,
    args: [a + 4 * r0 * sai, sai, sak, b, ldb, c + 4 * r0 * ldc, ldc, e[i + 2]! - r0, n, k, gemmPack(be, i + 1)],
  }));
  fanOut(jobs, () => kern.gemm(a, sai, sak, b, ldb, c, ldc, e[1]!, n, k, gemmPack(be)), runner(be));
}

/** kernels.c gemm_batch (`count` products at strides sa, sb, sc), shared with the pool by product or by rows. */
export function gemmBatch(be: WasmBackend, ...args: GemmBatchArgs): void {
  const [a, sai, sak, b, c, m, n, k, count, sa, sb, sc] = args;
  const kern = simdKernels(be);
  const threads = count * m * n * k >= splitLimits.macs ? threadsNow(be) : 1;
  if (threads >= 2 && count >= 2) {
    const t = Math.min(threads, count);
    const e = cuts(count, t, 1);
    const jobs = e.slice(1, -1).map((i0, i) => ({
      op: 'gemm_batch' as const,
      args: [
        a + 4 * i0 * sa,
        sai,
        sak,
        b + 4 * i0 * sb,
        c + 4 * i0 * sc,
        m,
        n,
        k,
        e[i + 2]! - i0,
        sa,
        sb,
        sc,
        gemmPack(be, i + 1),
      ],
    }));
    return fanOut(jobs, () => kern.gemm_batch(a, sai, sak, b, c, m, n, k, e[1]!, sa, sb, sc, gemmPack(be)), runner(be));
  }
  if (count === 1) return gemm(be, a, sai, sak, b, n, c, n, m, n, k);
  kern.gemm_batch(a, sai, sak, b, c, m, n, k, count, sa, sb, sc, gemmPack(be));
}

/**
 * Runs kernels.c export `op` over n items cut into ranges (multiples of `unit`) across this thread and the pool,
 * when n ≥ minItems; `args(start, count, part)` gives the arguments for items [start, start + count) on part
 * `part` (0 = this thread). Used by the elementwise-in-rows kernels: AdamW, GELU, attention (by batch row).
 * `maxParts`: never more parts than this (splitRunScratch: the parts its scratch was sized for).
 */
export function splitRun(
  be: WasmBackend,
  op: PoolOp,
  n: number,
  unit: number,
  minItems: number,
  args: (start: number, count: number, part: number) => number[],
  maxParts = Number.POSITIVE_INFINITY,
): void {
  const kern = simdKernels(be) as unknown as Record<PoolOp, (...a: number[]) => void>;
  const t = Math.min(splitParts(be, n, unit, minItems), maxParts);
  if (t < 2) return kern[op](...args(0, n, 0));
  const e = cuts(n, t, unit);
  const jobs = e.slice(1, -1).map((s0, i) => ({ op, args: args(s0, e[i + 2]! - s0, i + 1) }));
  fanOut(jobs, () => kern[op](...args(0, e[1]!, 0)), runner(be));
}

/**
 * splitRun with a scratch of `perPart` floats for each part it uses, sized and bounded here in one place (the parts
 * can grow between two splitParts calls: a deferred queue ending): `args` gets part `part`'s scratch address too.
 */
export function splitRunScratch(
  be: WasmBackend,
  op: PoolOp,
  n: number,
  unit: number,
  minItems: number,
  perPart: number,
  args: (start: number, count: number, part: number, scratch: number) => number[],
): void {
  const parts = splitParts(be, n, unit, minItems);
  const [scratch] = newTensors(be, [Math.max(1, parts * perPart)]);
  try {
    const ps = ptr(be, scratch!);
    splitRun(be, op, n, unit, minItems, (s0, count, part) => args(s0, count, part, ps + 4 * part * perPart), parts);
  } finally {
    scratch!.dispose();
  }
}

/** kernels.c bias_add (y (rows, n) += b per row), shared with the pool by rows. */
export function biasAdd(be: WasmBackend, y: number, b: number, rows: number, n: number): void {
  splitRun(be, 'bias_add', rows, 1, minRowsToSplit(n), (r0, k) => [y + 4 * r0 * n, b, k, n]);
}

/**
 * kernels.c col_sum (out (n) = Σ_rows x (rows, n), row 0 first), shared with the pool by ranges of 4-column groups:
 * every column's sum is the same chain whoever computes it.
 */
export function colSum(be: WasmBackend, x: number, out: number, rows: number, n: number): void {
  // items: columns of `rows` floats each
  splitRun(be, 'col_sum', n, 4, minRowsToSplit(rows), (j0, k) => [x + 4 * j0, out + 4 * j0, rows, k, n]);
}

/**
 * Parts splitRun would use for n items now. While a deferred queue holds the worker this is 1, and it grows to 2 as
 * soon as the queue is done, which can happen between two calls: per-part scratch goes through splitRunScratch.
 */
export function splitParts(be: WasmBackend, n: number, unit: number, minItems: number): number {
  return n >= minItems ? Math.max(1, Math.min(threadsNow(be), Math.floor(n / unit))) : 1;
}

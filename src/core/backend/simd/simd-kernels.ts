import { setFlagsFromString } from 'node:v8';
import { PLAIN_RELAXED_WASM, PLAIN_WASM, SHARED_RELAXED_WASM, SHARED_WASM } from './kernels-wasm';
import type { WasmBackend } from '../wasm-heap';
import { NATIVE_OPS, type NativeGemm, nativeGemm } from '../native/native';
import type { GemmArgs, GemmBatchArgs } from './gemm-args';

/** kernels.c adamw's scalars: β1, β2, 1 − β1, 1 − β2, ε, lr, the bias corrections, 1 − lr·λ, the gradient's scale. */
type AdamWScalarArgs = [
  beta1: number,
  beta2: number,
  c1: number,
  c2: number,
  eps: number,
  lr: number,
  bc1: number,
  bc2: number,
  keep: number,
  scale: number,
];

/** The embedding bag's gradient's operands: dy (rows, d), ids (rows, g) with pad pieces, dtable (V, d). */
type BagGradArgs = [dy: number, ids: number, dtable: number, rows: number, g: number, d: number, pad: number];

/**
 * A convolution's images and window: nb images (H, W, C), a k×k window at stride s after `pad` zeros, output
 * (OH, OW).
 */
export type ConvWindow = [
  nb: number,
  h: number,
  w: number,
  c: number,
  k: number,
  s: number,
  pad: number,
  oh: number,
  ow: number,
];
/** ConvWindow and the output's channels. */
export type ConvGeometry = [...window: ConvWindow, co: number];

/**
 * unir's own wasm SIMD kernels (kernels.c), instantiated over tfjs-backend-wasm's memory: they take heap byte
 * addresses (wasm-heap.ts ptr) and sizes in floats, and never allocate. Single-threaded.
 */
export interface SimdKernels {
  /** Σ x² over n floats at x, in float64. */
  sumsq(x: number, n: number): number;
  /** sumsq of x (V, d) whose rows outside `rows` (nrows ascending indices; d a multiple of 4) are +0: the same value. */
  sumsq_rows(x: number, rows: number, nrows: number, d: number): number;
  /** AdamW over n parameters: reads p, g, m, v, writes p1, m1, v1 (see kernels.c for the formula). */
  adamw(
    p: number,
    g: number,
    m: number,
    v: number,
    p1: number,
    m1: number,
    v1: number,
    n: number,
    ...scalars: AdamWScalarArgs
  ): void;
  /**
   * c(M, N) = a·b (GemmArgs); pack: scratch of GEMM_PACK_FLOATS (gemmPack) no other thread uses meanwhile, or 0 to
   * read b in place.
   */
  gemm(...args: [...operands: GemmArgs, pack: number]): void;
  /** `count` gemms in one call (GemmBatchArgs; a stride of 0 shares the operand). */
  gemm_batch(...args: [...operands: GemmBatchArgs, pack: number]): void;
  /** out (n) = a (n) + b (n). */
  vadd(a: number, b: number, out: number, n: number): void;
  /** y (rows, n) += b (n) per row; out (n) = Σ_rows x (rows, n; row stride ld); dst (cols, rows) = src (rows, cols)ᵀ. */
  bias_add(y: number, b: number, rows: number, n: number): void;
  col_sum(x: number, out: number, rows: number, n: number, ld: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  /** Attention core (kernels.c attn_fwd / attn_bwd); mask 0 = none; scratch: dh·Tk (fwd), dh·Tk + Tq·Tk (bwd) floats. */
  attn_fwd(
    q: number,
    k: number,
    v: number,
    mask: number,
    out: number,
    p: number,
    scratch: number,
    b: number,
    tq: number,
    tk: number,
    h: number,
    dh: number,
    scale: number,
  ): void;
  attn_bwd(
    dout: number,
    q: number,
    k: number,
    v: number,
    p: number,
    dq: number,
    dk: number,
    dv: number,
    scratch: number,
    b: number,
    tq: number,
    tk: number,
    h: number,
    dh: number,
    scale: number,
  ): void;
  /** Layer norm of `rows` rows of d: y, and per-row mean and rstd for ln_bwd. */
  ln_fwd(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    mean: number,
    rstd: number,
    rows: number,
    d: number,
    eps: number,
  ): void;
  ln_bwd(
    dy: number,
    x: number,
    gamma: number,
    mean: number,
    rstd: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    d: number,
  ): void;
  /** tanh-GELU of n floats, and its gradient. */
  gelu_fwd(x: number, y: number, n: number): void;
  gelu_bwd(dy: number, x: number, dx: number, n: number): void;
  /** ln_bwd over chunks of `chunk` rows, chunk c's dgamma / dbeta sums at dgp + 4·c·d / dbp + 4·c·d (summed by the caller). */
  ln_bwd_chunks(
    dy: number,
    x: number,
    gamma: number,
    mean: number,
    rstd: number,
    dx: number,
    dgp: number,
    dbp: number,
    rows: number,
    d: number,
    chunk: number,
  ): void;
  /** out (rows, d) = Σ over g pieces ≠ pad of table rows ids (rows, g); ids must be in range. */
  bag_fwd(table: number, ids: number, out: number, rows: number, g: number, d: number, pad: number): void;
  /** dtable (vocab, d) = scatter-add of dy rows by ids (pieces = pad or out of range skipped). */
  bag_bwd(...args: [...operands: BagGradArgs, vocab: number]): void;
  /** bag_bwd for the vocabulary rows [v0, v1) only (zeroed first); ids outside are skipped. */
  bag_bwd_range(...args: [...operands: BagGradArgs, v0: number, v1: number]): void;
  /**
   * A bag's gradient as compact rows: out row slot[id] - 1 (slot: V int32, 0 = no piece) holds table row id; out rows
   * [s0, s1) (the slots of ids in [v0, v1)) zeroed, then the dy rows of pieces in [v0, v1) added in row order.
   */
  bag_scatter_compact(
    ...args: [...operands: BagGradArgs, v0: number, v1: number, slot: number, s0: number, s1: number]
  ): void;
  /** Rows [v0, v1) of x (V, d) with touched (V int32) = 0 zeroed: a table gradient kept as rows made dense. */
  rows_finish(x: number, touched: number, v0: number, v1: number, d: number): void;
  /** out rows [k0, k1) = a[ia[k]] + b[ib[k]], a[ia[k]], or +0 + b[ib[k]] (ia / ib int32, -1 = absent). */
  rows_merge(a: number, b: number, out: number, ia: number, ib: number, k0: number, k1: number, d: number): void;
  /** Compact row i of x to row rows[i] (n ascending int32, rows[i] ≥ i), last first: in place, one thread. */
  rows_expand(x: number, rows: number, n: number, d: number): void;
  /**
   * adamw over rows [r0, r1) of (V, d) parameters whose gradient is compact: row r's is gc's row slot[r] - 1, or the d
   * zeros at z (slot[r] = 0); d a multiple of 4. The same bits as adamw over the dense gradient.
   */
  adamw_rows(
    p: number,
    gc: number,
    m: number,
    v: number,
    p1: number,
    m1: number,
    v1: number,
    slot: number,
    z: number,
    r0: number,
    r1: number,
    d: number,
    ...scalars: AdamWScalarArgs
  ): void;
  /** out[i] = x[idx[i]] (h floats) for the n int32 row numbers at idx: the real tokens of a padded batch. */
  pack_rows(x: number, idx: number, out: number, n: number, h: number): void;
  /** Rows [o0, o1) of out: y[i] + 0 at row idx[i] for i in [i0, i1) (ascending idx), zeros elsewhere. */
  unpack_rows(y: number, idx: number, out: number, i0: number, i1: number, o0: number, o1: number, h: number): void;
  /** Image augmentations on (n, S, S, 3) images, images [i0, i1), float64 per-image parameters (kernels.c). */
  aug_outline(img: number, ink: number, i0: number, i1: number, s: number, thr: number): void;
  aug_stroke(img: number, src: number, mid: number, mode: number, i0: number, i1: number, s: number, r: number): void;
  aug_affine(img: number, src: number, p: number, i0: number, i1: number, s: number): void;
  aug_jitter(img: number, p: number, i0: number, i1: number, s: number): void;
  aug_gray(img: number, on: number, i0: number, i1: number, s: number): void;
  /** out (·, nb) rows [i0, i1) = a (·, d) · bᵀ in float64, b (nb, d) given as interleaved row pairs (dots-f64.ts). */
  dots_f64(a: number, bp: number, out: number, i0: number, i1: number, nb: number, d: number): void;
  /** NHWC x (B, H, W, C) → col (B·OH·OW, k·k·C) for a k×k window at stride s with `pad` zeros before; col2im is its adjoint (dx overwritten). */
  im2col(...args: [x: number, col: number, ...window: ConvWindow]): void;
  col2im(...args: [dcol: number, dx: number, ...window: ConvWindow]): void;
  /**
   * The blocked convolution (nn/conv.ts): im2col's rows R at a time in `scratch` instead of a whole col, the same
   * results to the bit. conv_fwd: y (nb·OH·OW, CO) = col·w (scratch R·k·k·C floats); conv_dw: rows [c0, c1) of
   * dw (k·k·C, CO) = colᵀ·dz (scratch R·(c1 − c0)); conv_dx: dx (nb, H, W, C) = col2im(dz·wT), wT (CO, k·k·C)
   * (scratch R·k·k·C). pack: gemm's b-panel scratch.
   */
  conv_fwd(
    ...args: [x: number, w: number, y: number, ...geometry: ConvGeometry, r: number, scratch: number, pack: number]
  ): void;
  conv_dw(
    ...args: [
      x: number,
      dz: number,
      dw: number,
      ...geometry: ConvGeometry,
      c0: number,
      c1: number,
      r: number,
      scratch: number,
      pack: number,
    ]
  ): void;
  conv_dx(
    ...args: [dz: number, wT: number, dx: number, ...geometry: ConvGeometry, r: number, scratch: number, pack: number]
  ): void;
  /** y (rows, n) = max(y + b, 0) in place (b = 0: no bias); dz = dy where y > 0, else 0. */
  bias_relu(y: number, b: number, rows: number, n: number): void;
  relu_bwd(dy: number, y: number, dz: number, n: number): void;
  /** 2×2 / stride-2 max pooling of NHWC x (B, H, W, C) → (B, ⌊H/2⌋, ⌊W/2⌋, C), and its gradient (to the first max). */
  maxpool2_fwd(x: number, y: number, b: number, h: number, w: number, c: number): void;
  maxpool2_bwd(dy: number, x: number, y: number, dx: number, b: number, h: number, w: number, c: number): void;
  /** dx (B, P, C) = dy (B, C) / P at each pixel: global average pooling's gradient (tfjs's Mean gradient's values). */
  gap_bwd(dy: number, dx: number, b: number, p: number, c: number): void;
  /** counts (n, nb) int32 of scores s (n, ni) ≥ thresholds t (n, nb) over item ranges start (nb + 1) (kernels.c). */
  count_at_least(s: number, n: number, ni: number, t: number, start: number, nb: number, out: number): void;
  /** out (n) = a (n, d) · q (d): the scores of an exact index. */
  rowdot(a: number, q: number, out: number, n: number, d: number): void;
}

type Variant = 'plain' | 'shared' | 'plain_relaxed' | 'shared_relaxed';
const BYTES: Record<Variant, string> = {
  plain: PLAIN_WASM,
  shared: SHARED_WASM,
  plain_relaxed: PLAIN_RELAXED_WASM,
  shared_relaxed: SHARED_RELAXED_WASM,
};
const modules: Partial<Record<Variant, WebAssembly.Module>> = {};
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

export function memoryOf(be: WasmBackend): WebAssembly.Memory {
  const mem = be.wasm.wasmMemory ?? be.wasm.asm?.memory;
  if (!mem)
    throw new Error("unir simd kernels: cannot find the wasm backend's memory (tfjs-backend-wasm layout changed?)");
  return mem;
}

/** Whether a wasm memory is shared with worker threads (tfjs's threaded build). */
export const sharedMemory = (mem: WebAssembly.Memory) =>
  typeof SharedArrayBuffer !== 'undefined' && mem.buffer instanceof SharedArrayBuffer;

let relaxed: boolean | undefined;

/**
 * Whether the kernels use relaxed SIMD (fused multiply-add). Node 20's V8 has it behind a flag that can be set at run
 * time (newer V8s have it on); the module is validated before it is chosen, so a Node without it gets the plain
 * build. UNIR_WASM_RELAXED_SIMD=0 forces the plain build (results then match a machine without it).
 */
export function relaxedSimd(): boolean {
  if (relaxed !== undefined) return relaxed;
  if (process.env.UNIR_WASM_RELAXED_SIMD === '0') return (relaxed = false);
  const bytes = Buffer.from(PLAIN_RELAXED_WASM, 'base64');
  if (!WebAssembly.validate(bytes)) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return (relaxed = WebAssembly.validate(bytes));
}

/** The compiled module for a memory: the variant importing a plain or a shared one, relaxed where V8 has it. */
export function simdModule(mem: WebAssembly.Memory): WebAssembly.Module {
  const kind: Variant = `${sharedMemory(mem) ? 'shared' : 'plain'}${relaxedSimd() ? '_relaxed' : ''}`;
  return (modules[kind] ??= new WebAssembly.Module(Buffer.from(BYTES[kind], 'base64')));
}

/** Floats of gemm's b-panel scratch: kernels.c KB × 8. */
export const GEMM_PACK_FLOATS = 256 * 8;
const packs = new WeakMap<WebAssembly.Memory, number[]>();

/**
 * The b-panel scratch of thread `part` (0 = the calling thread, i = the pool's i-th job): GEMM_PACK_FLOATS floats
 * taken from tfjs's heap once per memory and part (kept for the memory's life: a few KiB a thread).
 */
export function gemmPack(be: WasmBackend, part = 0): number {
  if (deferTo) part = 1; // queued kernels run on the first worker: its scratch
  const mem = memoryOf(be);
  let ps = packs.get(mem);
  if (!ps) packs.set(mem, (ps = []));
  return (ps[part] ??= (((be.wasm._malloc(4 * GEMM_PACK_FLOATS + 16) >>> 0) + 15) & ~15) >>> 0); // unsigned past 2 GiB
}

/**
 * The kernels.c exports the native addon runs (NATIVE_OPS) over `mem`: the same arguments and the same bits as the
 * wasm exports; the addon's heap view is re-taken when a plain memory grows (its buffer moves).
 */
export function nativeOps(nat: NativeGemm, mem: WebAssembly.Memory, fused: number): Partial<SimdKernels> {
  let view = new Float32Array(mem.buffer);
  const heap = () => (view.buffer === mem.buffer ? view : (view = new Float32Array(mem.buffer)));
  const call = nat as unknown as Record<string, (heap: Float32Array, fused: number, ...args: number[]) => void>;
  return Object.fromEntries(
    NATIVE_OPS.map((op) => [op, (...args: number[]) => call[op]!(heap(), fused, ...args)]),
  ) as Partial<SimdKernels>;
}

/** Where kernels go instead of running while pool.ts deferKernels queues them (null: they run). */
let deferTo: ((op: string, args: number[]) => void) | null = null;
export function setDeferTarget(f: typeof deferTo): void {
  deferTo = f;
}
/** Every kernel, queued: a call records its name and arguments (it must return nothing). */
const deferProxy = new Proxy({} as SimdKernels, {
  get:
    (_, op) =>
    (...args: number[]) => {
      deferTo!(String(op), args);
    },
});

/**
 * The kernels bound to this backend's memory (compiled once per process, instantiated once per memory); NATIVE_OPS
 * (products, GELU, attention, blocked convolution, AdamW) by the native addon where it runs (the same results).
 */
export function simdKernels(be: WasmBackend): SimdKernels {
  if (deferTo) return deferProxy;
  const mem = memoryOf(be);
  let k = instances.get(mem);
  if (!k) {
    k = new WebAssembly.Instance(simdModule(mem), { env: { memory: mem } }).exports as unknown as SimdKernels;
    const nat = nativeGemm();
    if (nat) k = { ...k, ...nativeOps(nat, mem, relaxedSimd() ? 1 : 0) };
    instances.set(mem, k);
  }
  return k;
}

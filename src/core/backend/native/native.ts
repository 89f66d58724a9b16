import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type { GemmArgs, GemmBatchArgs } from '../simd/gemm-args';
import type { SimdKernels } from '../simd/simd-kernels';

// gemm.c as a Node-API addon: unir's products, GELU, attention core, blocked convolution and AdamW in native AVX-512
// / AVX2 code, to the bit the same as kernels.c's wasm exports of the same names (each element's operations in the
// same order; gemm.c says how), ≈ 2× their speed where the CPU has AVX-512 (wasm SIMD is 128 bits wide). It is
// compiled on the machine at hand, once, by the first C compiler found ($CC, cc, gcc, clang, clang-16), into the unir
// cache (`$UNIR_CACHE_DIR` or <tmp>/unir-cache), keyed by the source and the compiler; no node-gyp and no headers.
// Where there is no compiler, no x86-64, or UNIR_NATIVE_GEMM=0, the wasm kernels run instead, with the same results.

/** The kernels.c exports the addon runs in their place (NativeGemm has one method of each name). */
export const NATIVE_OPS = [
  'gemm',
  'gemm_batch',
  'gelu_fwd',
  'gelu_bwd',
  'attn_fwd',
  'attn_bwd',
  'conv_fwd',
  'conv_dw',
  'conv_dx',
  'adamw',
  'adamw_rows',
] as const;

export interface NativeGemm {
  /** The instruction set the addon chose at load: 'avx512f' or 'avx2+fma'. */
  isa: string;
  /**
   * The kernels.c export of the same name, as op(heap, fused, ...its arguments): heap is a Float32Array over the
   * whole wasm memory (addresses are byte offsets in it), fused is 1 where the wasm build fuses multiply-adds
   * (relaxed SIMD), and arguments past the export's own are ignored (gemm's pack: the addon has its own scratch).
   */
  gemm(heap: Float32Array, fused: number, ...args: [...operands: GemmArgs, pack?: number]): void;
  gemm_batch(heap: Float32Array, fused: number, ...args: [...operands: GemmBatchArgs, pack?: number]): void;
  /** y (n) = GELU(x), dx (n) = dy · GELU'(x): kernels.c's tanh-form GELU, lane by lane. */
  gelu_fwd(heap: Float32Array, fused: number, x: number, y: number, n: number): void;
  gelu_bwd(heap: Float32Array, fused: number, dy: number, x: number, dx: number, n: number): void;
  /** kernels.c's attention core and its gradient (SimdKernels attn_fwd / attn_bwd's arguments). */
  attn_fwd(heap: Float32Array, fused: number, ...args: Parameters<SimdKernels['attn_fwd']>): void;
  attn_bwd(heap: Float32Array, fused: number, ...args: Parameters<SimdKernels['attn_bwd']>): void;
  /** kernels.c's blocked convolution (SimdKernels conv_fwd / conv_dw / conv_dx's arguments; scratch in the heap). */
  conv_fwd(heap: Float32Array, fused: number, ...args: Parameters<SimdKernels['conv_fwd']>): void;
  conv_dw(heap: Float32Array, fused: number, ...args: Parameters<SimdKernels['conv_dw']>): void;
  conv_dx(heap: Float32Array, fused: number, ...args: Parameters<SimdKernels['conv_dx']>): void;
  /** kernels.c's AdamW pass (SimdKernels adamw's arguments), lane by lane; fused is ignored (it never fuses). */
  adamw(heap: Float32Array, fused: number, ...args: Parameters<SimdKernels['adamw']>): void;
  /** kernels.c's AdamW over a table's rows with a compact gradient (SimdKernels adamw_rows' arguments). */
  adamw_rows(heap: Float32Array, fused: number, ...args: Parameters<SimdKernels['adamw_rows']>): void;
  /** Tests: run the AVX2 path (2) or the one chosen at load (0). */
  force(level: number): void;
}

const SOURCE = join(dirname(__filename), 'gemm.c');
const FLAGS = ['-O3', '-shared', '-fPIC', '-ffp-contract=off', '-fno-math-errno'];
const COMPILERS = ['cc', 'gcc', 'clang', 'clang-16'];

let loaded: { gemm?: NativeGemm; path?: string; reason?: string } | undefined;

function cacheRoot(): string {
  return process.env.UNIR_CACHE_DIR || join(os.tmpdir(), 'unir-cache');
}

function build(): { path?: string; reason?: string } {
  if (process.arch !== 'x64') return { reason: `native gemm is x86-64 code; this is ${process.arch}` };
  if (process.platform === 'win32') return { reason: 'native gemm is built with a Unix C compiler; this is Windows' };
  const source = readFileSync(SOURCE, 'utf8');
  const tried: string[] = [];
  for (const cc of process.env.CC ? [process.env.CC] : COMPILERS) {
    const key = createHash('sha256')
      .update(`${source}\0${cc}\0${FLAGS.join(' ')}`)
      .digest('hex')
      .slice(0, 16);
    const dir = join(cacheRoot(), 'native');
    const path = join(dir, `gemm-${key}.node`);
    if (existsSync(path)) return { path };
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    const r = spawnSync(cc, [...FLAGS, '-o', tmp, SOURCE], { encoding: 'utf8' });
    if (r.status === 0) {
      renameSync(tmp, path); // atomic: another process may be building the same file
      return { path };
    }
    rmSync(tmp, { force: true });
    tried.push(r.error ? `${cc}: not found` : `${cc}: ${(r.stderr || '').trim().split('\n')[0]?.slice(0, 160)}`);
  }
  return { reason: `no C compiler built it (${tried.join('; ')}); set CC to one` };
}

/** The addon, built and loaded on first use; undefined (see nativeGemmStatus) where it cannot be. */
export function nativeGemm(): NativeGemm | undefined {
  if (loaded) return loaded.gemm;
  if (process.env.UNIR_NATIVE_GEMM === '0') {
    loaded = { reason: 'off (UNIR_NATIVE_GEMM=0)' };
    return undefined;
  }
  let b: { path?: string; reason?: string };
  try {
    b = build();
  } catch (e) {
    // an unwritable cache, a missing source file: the wasm kernels run instead
    b = { reason: `it could not be built (${String((e as Error).message).split('\n')[0]})` };
  }
  if (!b.path) {
    loaded = { reason: b.reason };
    return undefined;
  }
  try {
    const m = createRequire(__filename)(b.path) as Partial<NativeGemm>;
    if (typeof m.gemm !== 'function') loaded = { path: b.path, reason: `this CPU has neither AVX-512 nor AVX2 + FMA` };
    else loaded = { gemm: m as NativeGemm, path: b.path };
  } catch (e) {
    loaded = { path: b.path, reason: `${b.path} did not load: ${String((e as Error).message).split('\n')[0]}` };
  }
  return loaded.gemm;
}

/** 'avx512f' / 'avx2+fma' when the addon runs unir's products, else why not. */
export function nativeGemmStatus(): { isa?: string; path?: string; reason?: string } {
  const g = nativeGemm();
  return g ? { isa: g.isa, path: loaded?.path } : { reason: loaded?.reason };
}

/** The addon's file, for worker threads to load (undefined when it does not run). */
export function nativeGemmPath(): string | undefined {
  return nativeGemm() ? loaded?.path : undefined;
}

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../src/core/backend';
import { gemmPack, simdKernels } from '../../../src/core/backend/simd/simd-kernels';
import { asWasm, f32, ptr } from '../../../src/core/backend/wasm-heap';
import { fastBatchMatMul } from '../../../src/core/backend/wasm-matmul';
import { maxAbsDiff, rand, runOn, startWasmAndCpu } from './oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

/** Float64 a·b for a (M, K) or stored (K, M) when tA, b (K, N). */
function oracle(a: Float32Array, b: Float32Array, m: number, k: number, n: number, tA: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += a[tA ? q * m + i : i * k + q]! * b[q * n + j]!;
      out.push(s);
    }
  }
  return out;
}

describe("unir's wasm SIMD kernels (simd/kernels.c)", () => {
  // 4×8 register blocks, the 1-row, 4-column and 1-column remainders, K of 1 and an odd K
  const SHAPES: [number, number, number][] = [
    [4, 3, 8],
    [13, 67, 21],
    [9, 1, 12],
    [1, 5, 3],
    [24, 32, 24],
    [65, 65, 32],
  ];
  for (const [m, k, n] of SHAPES) {
    for (const tA of [false, true]) {
      it(`gemm ${m}×${k}·${k}×${n}${tA ? ' (a read transposed)' : ''} equals a float64 product and writes nothing outside c`, async () => {
        await tf.setBackend('wasm');
        const be = asWasm(tf.backend());
        const av = rand(m * 10 + k, m * k);
        const bv = rand(n * 10 + k, k * n);
        const a = tf.tensor(av);
        const b = tf.tensor(bv);
        const c = tf.fill([m * n + 16], 7); // guard: 8 floats either side of the product
        simdKernels(be).gemm(
          ptr(be, a),
          tA ? 1 : k,
          tA ? m : 1,
          ptr(be, b),
          n,
          ptr(be, c) + 32,
          n,
          m,
          n,
          k,
          gemmPack(be),
        );
        const got = Array.from(f32(be, c));
        expect(got.slice(0, 8)).toEqual(new Array(8).fill(7));
        expect(got.slice(8 + m * n)).toEqual(new Array(8).fill(7));
        expect(maxAbsDiff(got.slice(8, 8 + m * n), oracle(av, bv, m, k, n, tA))).toBeLessThanOrEqual(
          1e-5 * Math.sqrt(k),
        );
        tf.dispose([a, b, c]);
      });
    }
  }

  it("fastBatchMatMul (unir's gemm) gives the cpu backend's product for every transpose and batch layout", async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 13, 67], [3, 67, 21], false, false],
      [[3, 67, 13], [3, 67, 21], true, false],
      [[3, 13, 67], [3, 21, 67], false, true],
      [[3, 67, 13], [67, 21], true, false],
      [[2, 13, 67], [67, 12], false, false],
    ];
    for (const [as, bs, tA, tB] of cases) {
      const av = rand(1, tf.util.sizeFromShape(as));
      const bv = rand(2, tf.util.sizeFromShape(bs));
      const cpu = await runOn('cpu', () => [tf.matMul(tf.tensor(av, as), tf.tensor(bv, bs), tA, tB)]);
      await tf.setBackend('wasm');
      const [a, b] = [tf.tensor(av, as), tf.tensor(bv, bs)];
      const out = tf.engine().makeTensorFromTensorInfo(fastBatchMatMul(tf.backend(), a, b, tA, tB));
      expect(out.shape, `${as} ${bs}`).toEqual(cpu.shapes[0]);
      expect(maxAbsDiff(out.dataSync(), cpu.values[0]!), `${as} ${bs} tA=${tA} tB=${tB}`).toBeLessThanOrEqual(1e-4);
      tf.dispose([a, b, out]);
    }
  });

  it('transpose of 4×4 blocks and ragged edges (9×7, 4×8, 3×2) equals the index swap', async () => {
    await tf.setBackend('wasm');
    const be = asWasm(tf.backend());
    for (const [r, c] of [
      [9, 7],
      [4, 8],
      [3, 2],
    ] as const) {
      const src = tf.tensor(rand(r * c, r * c));
      const dst = tf.zeros([c * r]);
      simdKernels(be).transpose(ptr(be, src), ptr(be, dst), r, c);
      const s = src.dataSync();
      expect(Array.from(dst.dataSync())).toEqual(
        Array.from({ length: r * c }, (_, i) => s[(i % r) * c + Math.floor(i / r)]!),
      );
      tf.dispose([src, dst]);
    }
  });

  it('sumsq and adamw match float64 formulas', async () => {
    await tf.setBackend('wasm');
    const be = asWasm(tf.backend());
    const n = 11; // two SIMD blocks and a 3-element tail
    const [pv, gv, mv, vv] = [rand(1, n), rand(2, n), rand(3, n), rand(4, n)];
    const vPos = vv.map(Math.abs);
    const [p, g, m, v] = [tf.tensor(pv), tf.tensor(gv), tf.tensor(mv), tf.tensor(vPos)];
    const outs = [tf.zeros([n]), tf.zeros([n]), tf.zeros([n])] as const;
    const k = simdKernels(be);
    expect(Math.abs(k.sumsq(ptr(be, g), n) - Array.from(gv).reduce((s, x) => s + x * x, 0))).toBeLessThan(1e-12);
    const [b1, b2, eps, lr, bc1, bc2, keep, scale] = [0.9, 0.999, 1e-8, 0.01, 0.19, 0.002, 0.999, 0.5];
    k.adamw(
      ptr(be, p),
      ptr(be, g),
      ptr(be, m),
      ptr(be, v),
      ptr(be, outs[0]),
      ptr(be, outs[1]),
      ptr(be, outs[2]),
      n,
      b1,
      b2,
      1 - b1,
      1 - b2,
      eps,
      lr,
      bc1,
      bc2,
      keep,
      scale,
    );
    const want = { p: [] as number[], m: [] as number[], v: [] as number[] };
    for (let i = 0; i < n; i++) {
      const gi = gv[i]! * scale;
      const mi = b1 * mv[i]! + (1 - b1) * gi;
      const vi = b2 * vPos[i]! + (1 - b2) * gi * gi;
      want.m.push(mi);
      want.v.push(vi);
      want.p.push(pv[i]! * keep - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps));
    }
    expect(maxAbsDiff(outs[0]!.dataSync(), want.p)).toBeLessThan(1e-6);
    expect(maxAbsDiff(outs[1]!.dataSync(), want.m)).toBeLessThan(1e-6);
    expect(maxAbsDiff(outs[2]!.dataSync(), want.v)).toBeLessThan(1e-6);
    tf.dispose([p, g, m, v, ...outs]);
  });

  it('adamw stores moments under 1e-30 as 0 (decaying moments of unused rows never turn denormal)', async () => {
    await tf.setBackend('wasm');
    const be = asWasm(tf.backend());
    const [p, g, m, v] = [
      tf.tensor1d([1, 1, 1, 1, 1]),
      tf.zeros([5]),
      tf.tensor1d([1e-31, -1e-31, 1e-20, 0, 1e-31]),
      tf.tensor1d([1e-31, 1e-31, 1e-20, 0, 1e-31]),
    ];
    simdKernels(be).adamw(
      ptr(be, p),
      ptr(be, g),
      ptr(be, m),
      ptr(be, v),
      ptr(be, p),
      ptr(be, m),
      ptr(be, v),
      5,
      0.9,
      0.999,
      0.1,
      0.001,
      1e-8,
      0.1,
      0.5,
      0.5,
      1,
      1,
    );
    expect(Array.from(m.dataSync())).toEqual([0, 0, Math.fround(Math.fround(0.9) * Math.fround(1e-20)), 0, 0]);
    expect(Array.from(v.dataSync()).map((x) => x === 0)).toEqual([true, true, false, true, true]);
    tf.dispose([p, g, m, v]);
  });
});

describe('relaxed SIMD (fused multiply-add) and the plain build', () => {
  it('give the same products to float32 rounding (float64 oracle), and the relaxed one is fused', async () => {
    const { PLAIN_WASM, PLAIN_RELAXED_WASM } = await import('../../../src/core/backend/simd/kernels-wasm');
    const { relaxedSimd } = await import('../../../src/core/backend/simd/simd-kernels');
    expect(relaxedSimd()).toBe(true); // Node 20: the V8 flag is set at run time
    const [m, k, n] = [13, 300, 21];
    const [a, b] = [rand(1, m * k), rand(2, k * n)];
    const want = oracle(a, b, m, k, n, false);
    const run = (bytes: string) => {
      const memory = new WebAssembly.Memory({ initial: 4 });
      const kern = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(bytes, 'base64')), { env: { memory } })
        .exports as unknown as { gemm: (...args: number[]) => void };
      const f = new Float32Array(memory.buffer);
      const [pa, pb, pc] = [1024, 1024 + 4 * m * k, 1024 + 4 * (m * k + k * n)];
      f.set(a, pa / 4);
      f.set(b, pb / 4);
      kern.gemm(pa, k, 1, pb, n, pc, n, m, n, k);
      return f.slice(pc / 4, pc / 4 + m * n);
    };
    const [plain, fused] = [run(PLAIN_WASM), run(PLAIN_RELAXED_WASM)];
    // sums of 300 products of |x| ≤ 1 in float32: ≈ 1e-5 from the exact sum either way
    expect(maxAbsDiff(plain, want)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(fused, want)).toBeLessThanOrEqual(1e-4);
    expect(Array.from(fused)).not.toEqual(Array.from(plain)); // one rounding per step instead of two
  });

  it('UNIR_WASM_RELAXED_SIMD=0 chooses the plain build (in a child process: the choice is made once)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { join, resolve } = await import('node:path');
    const root = resolve(__dirname, '../../..');
    mkdirSync(join(root, '.cache'), { recursive: true });
    const dir = mkdtempSync(join(root, '.cache', 'relaxed-'));
    const script = join(dir, 'child.mjs');
    writeFileSync(
      script,
      `const { initBackend, disposeBackend } = await import(${JSON.stringify(join(root, 'src/core/backend/index.ts'))});
const info = await initBackend({ backend: 'wasm', threads: 1, quiet: true });
await disposeBackend();
console.log(JSON.stringify({ relaxedSimd: info.relaxedSimd }));\n`,
    );
    try {
      for (const [env, want] of [
        ['0', false],
        ['', true],
      ] as const) {
        const r = spawnSync(process.execPath, [join(root, 'bin/run-ts.mjs'), script], {
          encoding: 'utf8',
          env: { ...process.env, UNIR_WASM_RELAXED_SIMD: env },
        });
        expect(r.status, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ relaxedSimd: want });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeGemm, nativeGemmStatus } from '../../../src/core/backend/native/native';
import { PLAIN_RELAXED_WASM, PLAIN_WASM } from '../../../src/core/backend/simd/kernels-wasm';
import { relaxedSimd, type SimdKernels } from '../../../src/core/backend/simd/simd-kernels';
import { rand } from './oracle';

const ROOT = resolve(__dirname, '../../..');
type Gemm = (...args: number[]) => void;

/** kernels.c's wasm gemm and gemm_batch over a fresh memory of `pages` 64 KiB pages, plain or relaxed (fused). */
function wasmKernels(fused: boolean, pages = 160) {
  expect(relaxedSimd()).toBe(true); // sets Node 20's V8 flag
  const memory = new WebAssembly.Memory({ initial: pages });
  const k = new WebAssembly.Instance(
    new WebAssembly.Module(Buffer.from(fused ? PLAIN_RELAXED_WASM : PLAIN_WASM, 'base64')),
    {
      env: { memory },
    },
  ).exports as unknown as { gemm: Gemm; gemm_batch: Gemm };
  return { memory, ...k };
}

/** Values of every magnitude, with zeros of both signs: sums that cancel, and products that round differently. */
function values(seed: number, n: number): Float32Array {
  const r = rand(seed, n);
  return r.map((x, i) => (i % 17 === 0 ? 0 : i % 23 === 0 ? -0 : x * 2 ** ((i % 13) - 6)));
}

/** AdamW moments m, v of n values, every 7th below the 1e-30 flush threshold (seeds seed, seed + 1). */
const moments = (seed: number, n: number): [Float32Array, Float32Array] => [
  values(seed, n).map((x, i) => (i % 7 === 0 ? 1e-31 : x * 0.01)),
  values(seed + 1, n).map((x, i) => (i % 7 === 0 ? 2e-31 : Math.abs(x) * 1e-4)),
];
const bits = (f: Float32Array) => Array.from(new Int32Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)));

describe('native gemm and GELU (native/gemm.c, a Node-API addon built on this machine)', () => {
  it('builds and loads here: an x86-64 machine with a C compiler (CI installs one)', () => {
    const s = nativeGemmStatus();
    expect(s.reason).toBeUndefined();
    expect(['avx512f', 'avx2+fma']).toContain(s.isa);
  });

  // register blocks (8 × 32 and 6 × 16) and their remainders, N mod 4 tails (kernels.c's unfused scalar columns),
  // K across kernels.c's KB (256) and gemm.c's blocks, strided a (read transposed) and padded row strides
  const SHAPES: [number, number, number][] = [
    [1, 1, 1],
    [4, 3, 8],
    [9, 1, 12],
    [13, 67, 21],
    [8, 256, 32],
    [17, 257, 33],
    [70, 600, 130],
    [3, 1000, 6],
    [100, 129, 64],
    [33, 40, 5],
  ];
  for (const fused of [true, false]) {
    for (const level of [0, 2]) {
      it(`computes kernels.c's wasm gemm to the bit (${fused ? 'relaxed SIMD, fused' : 'plain build'}, ${level === 2 ? 'the AVX2 path' : 'the path chosen at load'})`, () => {
        const nat = nativeGemm()!;
        const w = wasmKernels(fused);
        const heap = new Float32Array(w.memory.buffer);
        nat.force(level);
        try {
          for (const [m, k, n] of SHAPES) {
            for (const tA of [false, true]) {
              const [ldb, ldc] = [n + (tA ? 3 : 0), n + 5];
              const [pa, pb, pc] = [4096, 4096 + 4 * m * k, 4096 + 4 * (m * k + k * ldb)];
              heap.set(values(m + k, m * k), pa / 4);
              heap.set(values(n + 7 * k, k * ldb), pb / 4);
              const args = [pa, tA ? 1 : k, tA ? m : 1, pb, ldb, pc, ldc, m, n, k] as const;
              heap.fill(7, pc / 4, pc / 4 + m * ldc);
              w.gemm(...args, 0);
              const want = heap.slice(pc / 4, pc / 4 + m * ldc);
              heap.fill(7, pc / 4, pc / 4 + m * ldc);
              nat.gemm(heap, fused ? 1 : 0, ...args);
              expect(bits(heap.slice(pc / 4, pc / 4 + m * ldc)), `${m}×${k}·${k}×${n} tA ${tA}`).toEqual(bits(want));
            }
          }
          // gemm_batch, with a shared b (stride 0) and c's of a padded stride
          const [m, k, n, count] = [11, 37, 18, 3];
          const [pa, pb, pc] = [4096, 4096 + 4 * count * m * k, 4096 + 4 * (count * m * k + k * n)];
          heap.set(values(5, count * m * k), pa / 4);
          heap.set(values(6, k * n), pb / 4);
          const args = [pa, k, 1, pb, pc, m, n, k, count, m * k, 0, m * n + 2] as const;
          const len = count * (m * n + 2);
          heap.fill(7, pc / 4, pc / 4 + len);
          w.gemm_batch(...args, 0);
          const want = heap.slice(pc / 4, pc / 4 + len);
          heap.fill(7, pc / 4, pc / 4 + len);
          nat.gemm_batch(heap, fused ? 1 : 0, ...args);
          expect(bits(heap.slice(pc / 4, pc / 4 + len))).toEqual(bits(want));
        } finally {
          nat.force(0);
        }
      });
    }
  }

  for (const level of [0, 2]) {
    it(`GELU forward and backward equal kernels.c's to the bit, special values included (${level === 2 ? 'the AVX2 path' : 'the path chosen at load'})`, () => {
      const nat = nativeGemm()!;
      const w = wasmKernels(true) as ReturnType<typeof wasmKernels> & { gelu_fwd: Gemm; gelu_bwd: Gemm };
      const heap = new Float32Array(w.memory.buffer);
      nat.force(level);
      try {
        // the clamps and cut-offs of exp (|u| around 87 and 88.7), the flush below 1e-30, ±0, ±∞, NaN, denormals
        const special = [
          0,
          -0,
          1e-45,
          -1e-45,
          1e-38,
          1e-30,
          0.5,
          -0.5,
          3,
          -3,
          10,
          -10,
          40,
          -40,
          43.5,
          -43.5,
          44.4,
          -44.4,
          50,
          -50,
          1e6,
          -1e6,
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          Number.NaN,
        ];
        const n = 4099; // 16-lane blocks and a tail of 3
        const x = Float32Array.from({ length: n }, (_, i) => (i < special.length ? special[i]! : 0));
        x.set(
          values(11, n - special.length).map((v) => v * 8),
          special.length,
        );
        const dy = values(12, n);
        const [px, pdy, py, pdx] = [4096, 4096 + 4 * n, 4096 + 8 * n, 4096 + 12 * n];
        heap.set(x, px / 4);
        heap.set(dy, pdy / 4);
        for (const size of [n, 1, 2, 17, 31]) {
          w.gelu_fwd(px, py, size);
          w.gelu_bwd(pdy, px, pdx, size);
          const want = [heap.slice(py / 4, py / 4 + size + 1), heap.slice(pdx / 4, pdx / 4 + size + 1)];
          heap.fill(7, py / 4, py / 4 + size + 1);
          heap.fill(7, pdx / 4, pdx / 4 + size + 1);
          heap[py / 4 + size] = want[0]![size]!; // the float past the end is not written
          heap[pdx / 4 + size] = want[1]![size]!;
          nat.gelu_fwd(heap, 1, px, py, size);
          nat.gelu_bwd(heap, 1, pdy, px, pdx, size);
          expect(bits(heap.slice(py / 4, py / 4 + size + 1)), `forward, n ${size}`).toEqual(bits(want[0]!));
          expect(bits(heap.slice(pdx / 4, pdx / 4 + size + 1)), `backward, n ${size}`).toEqual(bits(want[1]!));
        }
      } finally {
        nat.force(0);
      }
    });
  }

  for (const [fused, level] of [
    [true, 0],
    [false, 0],
    [true, 2],
  ] as const) {
    it(`attention forward and backward equal kernels.c's to the bit (masks, odd head sizes and lengths; ${fused ? 'fused' : 'plain build'}, ${level === 2 ? 'the AVX2 path' : 'the path chosen at load'})`, () => {
      const nat = nativeGemm()!;
      const w = wasmKernels(fused) as ReturnType<typeof wasmKernels> & { attn_fwd: Gemm; attn_bwd: Gemm };
      const heap = new Float32Array(w.memory.buffer);
      nat.force(level);
      try {
        // lengths on and off the 4-column blocks and the 16-lane vectors (17–24: an 8-lane second vector), past 32
        // (gemm's path), rows past 6
        for (const [B, Tq, Tk, h, dh, masked, special, mild] of [
          [3, 24, 24, 4, 32, true],
          [2, 7, 5, 2, 3, false],
          [1, 9, 13, 3, 8, true],
          [2, 10, 10, 4, 32, true],
          [1, 17, 17, 2, 32, true],
          [1, 1, 1, 1, 32, false],
          [2, 19, 18, 1, 33, true],
          [1, 6, 33, 2, 16, true],
          [1, 13, 31, 1, 17, false],
          [2, 9, 9, 2, 32, true, true],
          [1, 5, 21, 2, 32, false, true],
          [2, 23, 22, 3, 20, true],
          [3, 13, 21, 2, 17, false],
          // scores of a few units (the values above reach 2^8: most softmax rows are one-hot, and a score's last bit,
          // the tail columns' unfused chains among them, seldom shows in p)
          [2, 17, 17, 2, 32, true, false, true],
          [3, 13, 29, 2, 27, false, false, true],
          [2, 11, 22, 3, 19, true, false, true],
          [2, 7, 6, 2, 13, false, false, true],
        ] as [number, number, number, number, number, boolean, boolean?, boolean?][]) {
          const H = h * dh;
          const [nq, nk] = [B * Tq * H, B * Tk * H];
          const len = {
            q: nq,
            k: nk,
            v: nk,
            mask: B * Tk,
            out: nq,
            p: B * h * Tq * Tk,
            dout: nq,
            dq: nq,
            dk: nk,
            dv: nk,
            scratch: dh * Tk + Tq * Tk,
          };
          const ptrOf = {} as Record<keyof typeof len, number>;
          let at = 4096;
          for (const [name, n] of Object.entries(len) as [keyof typeof len, number][]) {
            ptrOf[name] = at;
            at += 4 * n + 64;
          }
          heap.set(mild ? rand(B + Tq, len.q, -2, 2) : values(B + Tq, len.q).map((x) => x * 4), ptrOf.q / 4);
          heap.set(mild ? rand(B + Tk, len.k, -2, 2) : values(B + Tk, len.k).map((x) => x * 4), ptrOf.k / 4);
          heap.set(values(h + dh, len.v), ptrOf.v / 4);
          if (special) {
            // a NaN key element (its column NaN in every score row), an infinite query element (a row of ±∞ scores, then
            // NaN), a key far below the others (its exp flushes to 0)
            heap[ptrOf.k / 4 + 3] = Number.NaN;
            heap[ptrOf.q / 4 + h * dh + 1] = Number.POSITIVE_INFINITY;
            heap.fill(-300, ptrOf.k / 4 + 2 * h * dh, ptrOf.k / 4 + 3 * h * dh);
          }
          heap.set(values(dh, len.dout), ptrOf.dout / 4);
          heap.set(
            Float32Array.from({ length: len.mask }, (_, i) => (i % Tk < Tk - 2 || i < Tk ? 1 : 0)),
            ptrOf.mask / 4,
          );
          const scale = 1 / Math.sqrt(dh);
          const { q, k, v, mask, out, p, scratch, dout, dq, dk, dv } = ptrOf;
          const fwd: Parameters<SimdKernels['attn_fwd']> = [
            q,
            k,
            v,
            masked ? mask : 0,
            out,
            p,
            scratch,
            B,
            Tq,
            Tk,
            h,
            dh,
            scale,
          ];
          const bwd: Parameters<SimdKernels['attn_bwd']> = [
            dout,
            q,
            k,
            v,
            p,
            dq,
            dk,
            dv,
            scratch,
            B,
            Tq,
            Tk,
            h,
            dh,
            scale,
          ];
          const outputs = ['out', 'p', 'dq', 'dk', 'dv'] as const;
          // each output and the float past its end (never written)
          const read = () => outputs.map((o) => bits(heap.slice(ptrOf[o] / 4, ptrOf[o] / 4 + len[o] + 1)));
          w.attn_fwd(...fwd);
          w.attn_bwd(...bwd);
          const want = read();
          for (const o of outputs) heap.fill(7, ptrOf[o] / 4, ptrOf[o] / 4 + len[o]);
          nat.attn_fwd(heap, fused ? 1 : 0, ...fwd);
          nat.attn_bwd(heap, fused ? 1 : 0, ...bwd);
          const got = read();
          outputs.forEach((o, i) => expect(got[i], `${o}, B ${B} Tq ${Tq} Tk ${Tk} h ${h} dh ${dh}`).toEqual(want[i]));
        }
      } finally {
        nat.force(0);
      }
    });
  }

  for (const level of [0, 2]) {
    it(`AdamW equals kernels.c's to the bit: the 4-lane loop's elements and its scalar tail, in place or not (${level === 2 ? 'the AVX2 path' : 'the path chosen at load'})`, () => {
      const nat = nativeGemm()!;
      const w = wasmKernels(false) as ReturnType<typeof wasmKernels> & { adamw: Gemm };
      const heap = new Float32Array(w.memory.buffer);
      nat.force(level);
      try {
        // β1, β2, 1 − β1, 1 − β2, ε, lr, 1 − β1^t, 1 − β2^t, 1 − lr·λ, gradient scale (AdamW.step's, clipped)
        const scalars = [0.9, 0.999, 0.1, 0.001, 1e-8, 1e-3, 0.271, 0.00299, 1 - 1e-5, 0.37];
        for (const n of [1, 3, 4, 15, 16, 17, 37, 1000]) {
          for (const inPlace of [false, true]) {
            const at = (k: number) => 4096 + k * 4 * (n + 16);
            const [p, g, m, v] = [0, 1, 2, 3].map(at) as [number, number, number, number];
            const [p1, m1, v1] = inPlace ? [p, m, v] : ([4, 5, 6].map(at) as [number, number, number]);
            heap.set(values(n + 1, n), p / 4);
            // gradients with zeros of both signs and magnitudes down to ≈ 1e-17 (whose m, v fall below 1e-30: ftz)
            heap.set(
              values(n + 2, n).map((x, i) => (i % 5 === 0 ? x * 1e-15 : x)),
              g / 4,
            );
            const [m0, v0] = moments(n + 3, n);
            heap.set(m0, m / 4);
            heap.set(v0, v / 4);
            const before = heap.slice(0, at(7) / 4);
            const args = [p, g, m, v, p1, m1, v1, n, ...scalars];
            const read = () => [p1, m1, v1].map((o) => bits(heap.slice(o / 4, o / 4 + n + 1)));
            w.adamw(...args);
            const want = read();
            heap.set(before);
            nat.adamw(
              heap,
              0,
              ...(args as Parameters<typeof nat.adamw> extends [unknown, unknown, ...infer A] ? A : never),
            );
            const got = read();
            ['p1', 'm1', 'v1'].forEach((o, i) =>
              expect(got[i], `${o}, n ${n}${inPlace ? ', in place' : ''}`).toEqual(want[i]),
            );
          }
        }
      } finally {
        nat.force(0);
      }
    });
  }

  for (const level of [0, 2]) {
    it(`AdamW over a table's rows with a compact gradient equals AdamW over the dense gradient, in wasm and native, to the bit (${level === 2 ? 'the AVX2 path' : 'the path chosen at load'})`, () => {
      const nat = nativeGemm()!;
      const w = wasmKernels(false) as ReturnType<typeof wasmKernels> & { adamw: Gemm; adamw_rows: Gemm };
      const heap = new Float32Array(w.memory.buffer);
      nat.force(level);
      try {
        const scalars = [0.9, 0.999, 0.1, 0.001, 1e-8, 1e-3, 0.271, 0.00299, 1 - 1e-5, 0.37];
        const [V, d] = [97, 12];
        // rows 0, 3, 4, 5, … touched (runs of both kinds), packed in ascending order; slot = 1 + the packed row
        const rows = Array.from({ length: V }, (_, r) => r).filter((r) => r % 3 === 0 || r % 7 === 4);
        const slot = new Int32Array(V);
        rows.forEach((r, i) => (slot[r] = i + 1));
        const n = V * d;
        const at = (k: number) => 4096 + k * 4 * (n + 16);
        const [p, g, m, v, gc, sl, z] = [at(0), at(1), at(2), at(3), at(4), at(5), at(6)];
        const packed = values(11, rows.length * d).map((x, i) => (i % 5 === 0 ? x * 1e-15 : i % 9 === 0 ? -0 : x));
        const dense = new Float32Array(n);
        rows.forEach((r, i) => dense.set(packed.subarray(i * d, (i + 1) * d), r * d));
        heap.set(values(12, n), p / 4);
        heap.set(dense, g / 4);
        const [m0, v0] = moments(13, n);
        heap.set(m0, m / 4);
        heap.set(v0, v / 4);
        heap.set(packed, gc / 4);
        new Int32Array(w.memory.buffer).set(slot, sl / 4);
        heap.fill(0, z / 4, z / 4 + d);
        const before = heap.slice(0, at(7) / 4);
        const read = () => [p, m, v].map((o) => bits(heap.slice(o / 4, o / 4 + n)));
        w.adamw(p, g, m, v, p, m, v, n, ...scalars);
        const want = read();
        const rowsArgs = (r0: number, r1: number) => [p, gc, m, v, p, m, v, sl, z, r0, r1, d, ...scalars];
        for (const [name, run] of [
          ['wasm', (r0: number, r1: number) => w.adamw_rows(...rowsArgs(r0, r1))],
          [
            'native',
            (r0: number, r1: number) =>
              nat.adamw_rows(
                heap,
                0,
                ...(rowsArgs(r0, r1) as Parameters<typeof nat.adamw_rows> extends [unknown, unknown, ...infer A]
                  ? A
                  : never),
              ),
          ],
        ] as const) {
          heap.set(before);
          run(0, 40); // two ranges, as two threads take them
          run(40, V);
          const got = read();
          ['p', 'm', 'v'].forEach((o, i) => expect(got[i], `${name}: ${o}`).toEqual(want[i]));
        }
        expect(() =>
          nat.adamw_rows(
            heap,
            0,
            ...(rowsArgs(5, 4) as Parameters<typeof nat.adamw_rows> extends [unknown, unknown, ...infer A] ? A : never),
          ),
        ).toThrow(/r0 <= r1/);
      } finally {
        nat.force(0);
      }
    });
  }

  for (const [fused, level] of [
    [true, 0],
    [false, 0],
    [true, 2],
  ] as const) {
    it(`the blocked convolution equals kernels.c's, and kernels.c's equals im2col + gemm / gemm + col2im, to the bit (${fused ? 'fused' : 'plain build'}, ${level === 2 ? 'the AVX2 path' : 'the path chosen at load'})`, () => {
      const nat = nativeGemm()!;
      const w = wasmKernels(fused, 400) as ReturnType<typeof wasmKernels> &
        Pick<SimdKernels, 'conv_fwd' | 'conv_dw' | 'conv_dx' | 'im2col' | 'col2im' | 'transpose'>;
      const heap = new Float32Array(w.memory.buffer);
      nat.force(level);
      try {
        // [nb, H, W, C, k, s, CO, R]: blocks of R pixels that do not divide the images' pixels, R = 1, R past them;
        // CO off the 4-lane block (the products' scalar tail, accumulated across blocks in dw); stride 2; a window
        // wider than the image; more pixels than gemm's K block (256) in one block of dw
        for (const [nb, H, W, C, k, s, CO, R] of [
          [2, 7, 6, 8, 3, 1, 10, 5],
          [3, 5, 5, 13, 3, 2, 7, 1],
          [2, 3, 2, 5, 5, 1, 9, 100],
          [1, 20, 18, 4, 3, 1, 32, 300],
          [2, 6, 6, 3, 1, 1, 6, 7],
        ] as const) {
          const pad = (k - 1) >> 1;
          const [OH, OW] = [Math.ceil(H / s), Math.ceil(W / s)];
          const [KC, P, X] = [k * k * C, nb * OH * OW, nb * H * W * C];
          const len = {
            x: X,
            w: KC * CO,
            wT: CO * KC,
            dz: P * CO,
            y: P * CO,
            dw: KC * CO,
            dx: X,
            col: P * KC,
            scratch: R * KC,
          };
          const at = {} as Record<keyof typeof len, number>;
          let next = 4096;
          for (const [name, n] of Object.entries(len) as [keyof typeof len, number][]) {
            at[name] = next;
            next += 4 * n + 64;
          }
          heap.set(values(H + C, X), at.x / 4);
          heap.set(values(k + CO, KC * CO), at.w / 4);
          heap.set(values(CO + 3, P * CO), at.dz / 4);
          w.transpose(at.w, at.wT, KC, CO);
          const geometry = [nb, H, W, C, k, s, pad, OH, OW, CO] as const;
          const what = `nb ${nb} ${H}×${W}×${C} k ${k} s ${s} → ${CO}, R ${R}`;
          // each output and the float past its end (never written); dw by two row ranges, one off the 8-row tile
          const outputs = ['y', 'dw', 'dx'] as const;
          const read = () => outputs.map((o) => bits(heap.slice(at[o] / 4, at[o] / 4 + len[o] + 1)));
          const clear = () => outputs.forEach((o) => heap.fill(7, at[o] / 4, at[o] / 4 + len[o]));
          const split = [0, Math.min(KC, 11), KC];
          const run = (k: Pick<SimdKernels, 'conv_fwd' | 'conv_dw' | 'conv_dx'>) => {
            clear();
            k.conv_fwd(at.x, at.w, at.y, ...geometry, R, at.scratch, 0);
            for (let i = 0; i < 2; i++)
              k.conv_dw(at.x, at.dz, at.dw, ...geometry, split[i]!, split[i + 1]!, R, at.scratch, 0);
            k.conv_dx(at.dz, at.wT, at.dx, ...geometry, R, at.scratch, 0);
            return read();
          };
          const want = run(w);
          // the materialised col: im2col + gemm, gemm + col2im
          clear();
          const g = [H, W, C, k, s, pad, OH, OW] as const;
          w.im2col(at.x, at.col, nb, ...g);
          w.gemm(at.col, KC, 1, at.w, CO, at.y, CO, P, CO, KC, 0);
          w.gemm(at.col, 1, KC, at.dz, CO, at.dw, CO, KC, CO, P, 0);
          w.gemm(at.dz, CO, 1, at.wT, KC, at.col, KC, P, KC, CO, 0);
          w.col2im(at.col, at.dx, nb, ...g);
          const viaCol = read();
          outputs.forEach((o, i) =>
            expect(want[i], `wasm ${o} against the materialised col, ${what}`).toEqual(viaCol[i]),
          );
          const call = nat as unknown as Record<string, (...a: unknown[]) => void>;
          const got = run({
            conv_fwd: (...a) => call.conv_fwd!(heap, fused ? 1 : 0, ...a),
            conv_dw: (...a) => call.conv_dw!(heap, fused ? 1 : 0, ...a),
            conv_dx: (...a) => call.conv_dx!(heap, fused ? 1 : 0, ...a),
          });
          outputs.forEach((o, i) => expect(got[i], `native ${o}, ${what}`).toEqual(want[i]));
        }
      } finally {
        nat.force(0);
      }
    });
  }

  it('refuses operands outside the heap with an error (where wasm traps; native code would crash the process)', () => {
    const nat = nativeGemm()!;
    const heap = new Float32Array(new WebAssembly.Memory({ initial: 1 }).buffer); // 65,536 bytes
    expect(() => nat.gemm(heap, 1, 0, 8, 1, 0, 8, 2 ** 31, 8, 4, 8, 8)).toThrow(
      'unir native gemm: an operand lies outside the wasm heap',
    );
    // a's last row starts inside the heap and ends past it
    expect(() => nat.gemm(heap, 1, 65_536 - 4 * 8, 8, 1, 0, 8, 0, 8, 2, 8, 8)).toThrow('outside the wasm heap');
    expect(() => nat.gemm_batch(heap, 1, 0, 4, 1, 0, 0, 4, 4, 4, 2 ** 20, 16, 16, 16)).toThrow(
      'unir native gemm_batch: an operand lies outside the wasm heap',
    );
    expect(() => nat.gemm(heap, 1, -4, 8, 1, 0, 8, 0, 8, 2, 8, 8)).toThrow('whole numbers >= 0');
    expect(() => nat.gemm(new Float64Array(4) as unknown as Float32Array, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1)).toThrow(
      'expected (Float32Array heap',
    );
    expect(() => nat.gelu_fwd(heap, 1, 65_536 - 8, 0, 4)).toThrow(
      'unir native gelu_fwd: an operand lies outside the wasm heap',
    );
    expect(() => nat.gelu_bwd(heap, 1, 0, 0, 2 ** 20, 4)).toThrow(
      'unir native gelu_bwd: an operand lies outside the wasm heap',
    );
    // attention: a scratch (dh · Tk floats) running past the end
    expect(() => nat.attn_fwd(heap, 1, 0, 0, 0, 0, 1024, 2048, 65_536 - 16, 1, 4, 4, 1, 8, 0.5)).toThrow(
      'unir native attn_fwd: an operand lies outside the wasm heap',
    );
    expect(() => nat.attn_bwd(heap, 1, 0, 0, 0, 0, 0, 0, 0, 2 ** 20, 0, 1, 4, 4, 1, 8, 0.5)).toThrow(
      'unir native attn_bwd: an operand lies outside the wasm heap',
    );
    // the blocked convolution: (nb, H, W, C, k, s, pad, OH, OW, CO) = (2, 8, 8, 4, 3, 1, 1, 8, 8, 8) is 512 floats of
    // x, 1,024 of y / dz, 288 of w; a scratch of R·k·k·C floats
    const g = [2, 8, 8, 4, 3, 1, 1, 8, 8, 8] as const;
    nat.conv_fwd(heap, 1, 0, 4096, 8192, ...g, 4, 16384, 0); // in bounds: runs
    expect(() => nat.conv_fwd(heap, 1, 0, 4096, 65_536 - 1024, ...g, 4, 16384, 0)).toThrow(
      'unir native conv_fwd: an operand lies outside the wasm heap',
    );
    expect(() => nat.conv_fwd(heap, 1, 0, 4096, 8192, ...g, 2 ** 20, 16384, 0)).toThrow('outside the wasm heap'); // scratch
    expect(() => nat.conv_fwd(heap, 1, 0, 4096, 8192, ...g, 0, 16384, 0)).toThrow('k and R >= 1');
    expect(() => nat.conv_dw(heap, 1, 0, 4096, 65_536 - 512, ...g, 0, 36, 4, 16384, 0)).toThrow(
      'unir native conv_dw: an operand lies outside the wasm heap',
    );
    expect(() => nat.conv_dw(heap, 1, 0, 4096, 8192, ...g, 0, 37, 4, 16384, 0)).toThrow('[c0, c1) must lie in');
    expect(() => nat.conv_dx(heap, 1, 4096, 8192, 65_536 - 1024, ...g, 4, 16384, 0)).toThrow(
      'unir native conv_dx: an operand lies outside the wasm heap',
    );
    nat.gemm(heap, 1, 0, 8, 1, 4 * 64, 8, 4 * 128, 8, 8, 8, 8); // in bounds: runs
  });

  it('where it cannot build or is turned off, the wasm kernels run, with the same training loss (child processes)', () => {
    mkdirSync(join(ROOT, '.cache'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.cache', 'native-'));
    try {
      const script = join(dir, 'child.mjs');
      writeFileSync(
        script,
        `const { nativeGemmStatus } = await import(${JSON.stringify(join(ROOT, 'src/core/backend/native/native.ts'))});
console.log(JSON.stringify(nativeGemmStatus()));\n`,
      );
      const child = (env: Record<string, string>, file = script, args: string[] = []) => {
        const r = spawnSync(process.execPath, [join(ROOT, 'bin/run-ts.mjs'), file, ...args], {
          encoding: 'utf8',
          env: { ...process.env, ...env },
        });
        expect(r.status, r.stderr.slice(-500)).toBe(0);
        return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      };
      expect(child({ UNIR_NATIVE_GEMM: '0' })).toEqual({ reason: 'off (UNIR_NATIVE_GEMM=0)' });
      const none = child({ CC: join(dir, 'no-such-cc'), UNIR_CACHE_DIR: join(dir, 'cache') });
      expect(none.reason).toMatch(/^no C compiler built it \(.*no-such-cc: not found\); set CC to one$/);
      writeFileSync(join(dir, 'a-file'), '');
      const unwritable = child({ UNIR_CACHE_DIR: join(dir, 'a-file') }); // the cache "directory" is a file
      expect(unwritable.reason).toMatch(/^it could not be built \(.*a-file/);
      // three paper-model training steps: wasm products on one thread, native products on two (the pool's worker too)
      const step = (env: Record<string, string>, threads: number) =>
        child({ ...env, UNIR_WASM_THREADS: String(threads) }, join(ROOT, 'bench/train-step.ts'), [
          '--child',
          'paper',
          'wasm',
          String(threads),
          '2',
          '1',
        ]) as { loss: number };
      const wasm = step({ UNIR_NATIVE_GEMM: '0' }, 1);
      const native = step({}, 2);
      expect(Number.isFinite(wasm.loss)).toBe(true);
      expect(native.loss).toBe(wasm.loss);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../src/core/backend';
import { gemmPack, simdKernels, type SimdKernels } from '../../../src/core/backend/simd/simd-kernels';
import { asWasm, f32, ptr } from '../../../src/core/backend/wasm-heap';
import { fastBatchMatMul } from '../../../src/core/backend/wasm-matmul';
import { maxAbsDiff, rand, runOn, startWasmAndCpu } from './oracle';

// Every kernel of simd/kernels.c called directly at sizes just below, at and above each of its blocks (gemm: 4-row
// × 8-column register blocks, 4- and 1-column remainders, K blocks of KB = 256, row blocks of MB = 128; elementwise loops: 4 lanes and a
// tail), with strided and transposed operands, against the same numbers computed by tfjs on the cpu backend.
// Outputs sit between guard floats that must stay untouched. Tolerances are float32 rounding (their reason beside
// each); a kernel that drops or repeats one block, lane or term is off by ≥ 0.05 on these inputs (|values| ≤ 1).

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

const KB = 256; // kernels.c: #define KB 256
const MB = 128; // kernels.c: #define MB 128
const GUARD = 8; // floats either side of every output
const FILL = 7;

type Inputs = Record<string, Float32Array | Int32Array>;

/**
 * Runs `call` on the wasm backend with `inputs` on the heap and outputs of the given sizes (guarded, filled with
 * FILL: a kernel must overwrite what it owns). Returns the outputs; asserts the guards and no leak.
 */
async function onWasm(
  inputs: Inputs,
  outputs: Record<string, number | Float32Array>,
  call: (p: Record<string, number>, k: SimdKernels) => void,
): Promise<Record<string, Float32Array>> {
  await tf.setBackend('wasm');
  const be = asWasm(tf.backend());
  const before = tf.memory().numTensors;
  const ts: Record<string, tf.Tensor> = {};
  for (const [name, v] of Object.entries(inputs))
    ts[name] = v instanceof Int32Array ? tf.tensor1d(v, 'int32') : tf.tensor1d(v.length ? v : new Float32Array(1));
  for (const [name, o] of Object.entries(outputs)) {
    const n = typeof o === 'number' ? o : o.length;
    const init = new Float32Array(n + 2 * GUARD).fill(FILL);
    if (typeof o !== 'number') init.set(o, GUARD); // an in-place kernel's starting content
    ts[name] = tf.tensor1d(init);
  }
  const p: Record<string, number> = {};
  for (const name of Object.keys(ts)) p[name] = ptr(be, ts[name]!) + (name in outputs ? GUARD * 4 : 0);
  p.pack = gemmPack(be); // gemm's b-panel scratch (this thread's)
  call(p, simdKernels(be));
  const out: Record<string, Float32Array> = {};
  for (const [name, o] of Object.entries(outputs)) {
    const n = typeof o === 'number' ? o : o.length;
    const all = Float32Array.from(f32(be, ts[name]!));
    expect(Array.from(all.subarray(0, GUARD)), `${name}: guard before`).toEqual(new Array(GUARD).fill(FILL));
    expect(Array.from(all.subarray(GUARD + n)), `${name}: guard after`).toEqual(new Array(GUARD).fill(FILL));
    out[name] = all.slice(GUARD, GUARD + n);
  }
  tf.dispose(Object.values(ts));
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

const cpu = async (f: () => tf.Tensor[]) => (await runOn('cpu', f)).values;
const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) =>
  expect(maxAbsDiff(got, want), what).toBeLessThanOrEqual(tol);

describe('gemm across its blocks: c(M, N) = a·b against tf.matMul on cpu', () => {
  const KS = [1, 3, KB - 1, KB, KB + 1, 2 * KB + 3];
  // M: 4-row blocks ± 1, the 1-row remainder and MB-row blocks ± 1; N: 8-column blocks ± 1, the 4-column block,
  // 1-column remainders
  const MN: [number, number][] = [
    [MB - 1, 9],
    [MB, 8],
    [MB + 1, 13],
    [2 * MB + 5, 4],
    [1, 1],
    [3, 7],
    [4, 8],
    [5, 9],
    [7, 4],
    [9, 13],
    [12, 17],
    [2, 3],
  ];
  for (const k of KS) {
    it(`K = ${k}: every M × N, a read in place or transposed, b and c with row strides wider than N, b packed or read in place`, async () => {
      for (const [m, n] of MN) {
        for (const [tA, strided, packed] of [
          [false, false, true],
          [true, true, true],
          [false, true, false],
          [true, false, false],
        ] as const) {
          {
            const ldb = strided ? n + 3 : n;
            const ldc = strided ? n + 5 : n;
            const av = rand(m * 1000 + k, m * k);
            const bFull = rand(n * 1000 + k + 1, k * ldb); // (K, ldb): columns N.. are not part of b
            const bv = Float32Array.from({ length: k * n }, (_, i) => bFull[Math.floor(i / n) * ldb + (i % n)]!);
            const [want] = await cpu(() => [
              tf.matMul(tf.tensor2d(av, tA ? [k, m] : [m, k]), tf.tensor2d(bv, [k, n]), tA, false),
            ]);
            const { c } = await onWasm({ a: av, b: bFull }, { c: m * ldc }, (p, K) =>
              K.gemm(p.a!, tA ? 1 : k, tA ? m : 1, p.b!, ldb, p.c!, ldc, m, n, k, packed ? p.pack! : 0),
            );
            const inside = Array.from({ length: m * n }, (_, i) => c![Math.floor(i / n) * ldc + (i % n)]!);
            const what = `${m}×${k}·${k}×${n} tA=${tA} ldb=${ldb} ldc=${ldc} packed=${packed}`;
            // float32 sums of k products of |x| ≤ 1 in another order: rounding grows ≈ linearly in k (2e-5 at k = 515 seen)
            close(inside, want!, 1e-6 * k + 1e-6, what);
            const pad = Array.from({ length: m * ldc }, (_, i) => i)
              .filter((i) => i % ldc >= n)
              .map((i) => c![i]);
            expect(pad, `${what}: columns past N of c`).toEqual(new Array(pad.length).fill(FILL));
          }
        }
      }
    });
  }

  it('gemm_batch: 3 products with a shared a (stride 0) and K across a block boundary', async () => {
    const [m, n, k, count] = [5, 9, KB + 1, 3];
    const av = rand(1, m * k);
    const bv = rand(2, count * k * n);
    const [want] = await cpu(() => [
      tf.matMul(
        tf.tensor3d(Array.from({ length: count }, () => Array.from(av)).flat(), [count, m, k]),
        tf.tensor3d(bv, [count, k, n]),
      ),
    ]);
    const { c } = await onWasm({ a: av, b: bv }, { c: count * m * n }, (p, K) =>
      K.gemm_batch(p.a!, k, 1, p.b!, p.c!, m, n, k, count, 0, k * n, m * n, p.pack!),
    );
    close(c!, want!, 1e-6 * k, 'gemm_batch');
  });

  it("the routed products (the 384-row transposed layer product, K = 384 > KB) give the cpu backend's result", async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[384, 128], [384, 128], true, false],
      [[40, 300], [300, 24], false, false],
      [[2, 20, 300], [2, 24, 300], false, true],
    ];
    for (const [as, bs, tA, tB] of cases) {
      const av = rand(3, tf.util.sizeFromShape(as));
      const bv = rand(4, tf.util.sizeFromShape(bs));
      const [want] = await cpu(() => [tf.matMul(tf.tensor(av, as), tf.tensor(bv, bs), tA, tB)]);
      await tf.setBackend('wasm');
      const [a, b] = [tf.tensor(av, as), tf.tensor(bv, bs)];
      const out = tf.engine().makeTensorFromTensorInfo(fastBatchMatMul(tf.backend(), a, b, tA, tB));
      const k = tA ? as[as.length - 2]! : as[as.length - 1]!;
      close(out.dataSync(), want!, 1e-6 * k, `${as} ${bs} tA=${tA} tB=${tB}`);
      tf.dispose([a, b, out]);
    }
  });
});

describe('elementwise and row kernels across their 4-lane blocks and tails, against tfjs on cpu', () => {
  const NS = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17];

  it('transpose: 4×4 blocks with ragged rows and columns', async () => {
    for (const [r, c] of [
      [1, 1],
      [3, 5],
      [4, 4],
      [5, 3],
      [8, 9],
      [9, 8],
      [4, 7],
      [7, 4],
      [12, 13],
    ] as const) {
      const src = rand(r * 31 + c, r * c);
      const [want] = await cpu(() => [tf.transpose(tf.tensor2d(src, [r, c]))]);
      const { dst } = await onWasm({ src }, { dst: r * c }, (p, K) => K.transpose(p.src!, p.dst!, r, c));
      expect(Array.from(dst!), `${r}×${c}`).toEqual(Array.from(want!)); // a copy: exact
    }
  });

  it('sumsq and adamw', async () => {
    for (const n of NS) {
      const g = rand(n, n);
      const [ss] = await cpu(() => [tf.sum(tf.square(tf.tensor1d(g)))]);
      let got = 0;
      await onWasm({ g }, {}, (p, K) => void (got = K.sumsq(p.g!, n)));
      expect(Math.abs(got - ss![0]!), `sumsq n=${n}`).toBeLessThanOrEqual(1e-6 * n); // cpu sums in float32, the kernel in float64
      const [pv, mv, vv] = [rand(n + 1, n), rand(n + 2, n), rand(n + 3, n, 0, 1)];
      const [b1, b2, eps, lr, bc1, bc2, keep, scale] = [0.9, 0.999, 1e-8, 0.01, 0.19, 0.002, 0.999, 0.5];
      const want = await cpu(() => {
        const gs = tf.mul(tf.tensor1d(g), scale);
        const m1 = tf.add(tf.mul(tf.tensor1d(mv), b1), tf.mul(gs, 1 - b1));
        const v1 = tf.add(tf.mul(tf.tensor1d(vv), b2), tf.mul(tf.square(gs), 1 - b2));
        const upd = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), eps));
        return [tf.sub(tf.mul(tf.tensor1d(pv), keep), tf.mul(upd, lr)), m1, v1];
      });
      const o = await onWasm({ p: pv, g, m: mv, v: vv }, { p1: n, m1: n, v1: n }, (p, K) =>
        K.adamw(p.p!, p.g!, p.m!, p.v!, p.p1!, p.m1!, p.v1!, n, b1, b2, 1 - b1, 1 - b2, eps, lr, bc1, bc2, keep, scale),
      );
      // single float32 operations in the same order: a few ulps
      close(o.p1!, want[0]!, 1e-6, `adamw p n=${n}`);
      close(o.m1!, want[1]!, 1e-6, `adamw m n=${n}`);
      close(o.v1!, want[2]!, 1e-6, `adamw v n=${n}`);
    }
  });

  it('bias_add, col_sum, bias_relu (with and without bias) and relu_bwd', async () => {
    const rows = 3;
    for (const n of NS) {
      const [y, b, dy] = [rand(n * 7, rows * n), rand(n * 7 + 1, n), rand(n * 7 + 2, rows * n)];
      const want = await cpu(() => {
        const yt = tf.tensor2d(y, [rows, n]);
        const bt = tf.tensor1d(b);
        const z = tf.relu(tf.add(yt, bt));
        return [
          tf.add(yt, bt),
          tf.sum(yt, 0),
          z,
          tf.relu(yt),
          tf.where(tf.greater(z, 0), tf.tensor2d(dy, [rows, n]), tf.zerosLike(z)),
        ];
      });
      const o = await onWasm({ y, b, dy }, { ya: y, cs: n, yr: y, yn: y, dz: rows * n }, (p, K) => {
        K.bias_add(p.ya!, p.b!, rows, n);
        K.col_sum(p.y!, p.cs!, rows, n, n);
        K.bias_relu(p.yr!, p.b!, rows, n);
        K.bias_relu(p.yn!, 0, rows, n);
        K.relu_bwd(p.dy!, p.yr!, p.dz!, rows * n);
      });
      close(o.ya!, want[0]!, 1e-7, `bias_add n=${n}`); // one add: exact up to rounding
      close(o.cs!, want[1]!, 1e-6, `col_sum n=${n}`);
      close(o.yr!, want[2]!, 1e-7, `bias_relu n=${n}`);
      close(o.yn!, want[3]!, 0, `bias_relu (no bias) n=${n}`);
      close(o.dz!, want[4]!, 0, `relu_bwd n=${n}`);
    }
  });

  it('gelu_fwd and gelu_bwd over -4..4', async () => {
    const gelu = (x: tf.Tensor) =>
      tf.mul(
        tf.mul(x, 0.5),
        tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))),
      );
    for (const n of NS) {
      const [x, dy] = [rand(n * 3, n, -4, 4), rand(n * 3 + 1, n)];
      const want = await cpu(() => {
        const xt = tf.tensor1d(x);
        return [gelu(xt), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), tf.tensor1d(dy))))(xt)];
      });
      const o = await onWasm({ x, dy }, { y: n, dx: n }, (p, K) => {
        K.gelu_fwd(p.x!, p.y!, n);
        K.gelu_bwd(p.dy!, p.x!, p.dx!, n);
      });
      close(o.y!, want[0]!, 2e-6, `gelu_fwd n=${n}`); // polynomial exp vs tanh: a few ulps of |y| ≤ 4
      close(o.dx!, want[1]!, 1e-5, `gelu_bwd n=${n}`);
    }
  });

  it('ln_fwd and ln_bwd over row widths around the 4-lane block', async () => {
    const rows = 3;
    const eps = 1e-5;
    for (const d of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17]) {
      const [x, g, b, dy] = [rand(d, rows * d, -3, 3), rand(d + 1, d), rand(d + 2, d), rand(d + 3, rows * d)];
      const ln = (xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) => {
        const { mean, variance } = tf.moments(xt, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(xt, mean), tf.rsqrt(tf.add(variance, eps))), gt), bt);
      };
      const want = await cpu(() => {
        const [xt, gt, bt] = [tf.tensor2d(x, [rows, d]), tf.tensor1d(g), tf.tensor1d(b)];
        const { mean, variance } = tf.moments(xt, -1);
        const grads = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) =>
          tf.sum(tf.mul(ln(xi, gi, bi), tf.tensor2d(dy, [rows, d]))),
        )([xt, gt, bt]);
        return [ln(xt, gt, bt), mean, tf.rsqrt(tf.add(variance, eps)), ...grads];
      });
      const o = await onWasm(
        { x, g, b, dy },
        { y: rows * d, mean: rows, rstd: rows, dx: rows * d, dg: d, db: d },
        (p, K) => {
          K.ln_fwd(p.x!, p.g!, p.b!, p.y!, p.mean!, p.rstd!, rows, d, eps);
          K.ln_bwd(p.dy!, p.x!, p.g!, p.mean!, p.rstd!, p.dx!, p.dg!, p.db!, rows, d);
        },
      );
      // d = 1: x - μ = 0 exactly, rstd = 1/√eps ≈ 316 in both; elsewhere a few ulps of values up to ≈ 10
      close(o.y!, want[0]!, 2e-5, `ln y d=${d}`);
      close(o.mean!, want[1]!, 1e-6, `ln mean d=${d}`);
      close(o.rstd!, want[2]!, 1e-4 * Math.max(1, want[2]![0]!), `ln rstd d=${d}`);
      close(o.dx!, want[3]!, 1e-3 * (d === 1 ? 1 : 0.05), `ln dx d=${d}`);
      close(o.dg!, want[4]!, 2e-5, `ln dgamma d=${d}`);
      close(o.db!, want[5]!, 1e-6, `ln dbeta d=${d}`);
    }
  });

  it('bag_fwd and bag_bwd: pad pieces skipped, rows across the 4-lane block, out-of-range ids skipped backward', async () => {
    const [rows, g, vocab, pad] = [4, 3, 6, 0];
    const ids = Int32Array.from([1, 2, 0, 5, 5, 1, 0, 0, 0, 3, 4, 2]); // row 2 is all pad
    for (const d of [1, 3, 4, 5, 8, 9]) {
      const [table, dy] = [rand(d * 5, vocab * d), rand(d * 5 + 1, rows * d)];
      const keep = Array.from(ids, (i) => (i === pad ? 0 : 1));
      const want = await cpu(() => {
        const rowsOf = tf.gather(tf.tensor2d(table, [vocab, d]), tf.tensor1d(ids, 'int32'));
        const out = tf.sum(tf.reshape(tf.mul(rowsOf, tf.tensor2d(keep, [rows * g, 1])), [rows, g, d]), 1);
        const spread = tf.mul(
          tf.reshape(tf.tile(tf.reshape(tf.tensor2d(dy, [rows, d]), [rows, 1, d]), [1, g, 1]), [rows * g, d]),
          tf.tensor2d(keep, [rows * g, 1]),
        );
        return [out, tf.unsortedSegmentSum(spread, tf.tensor1d(ids, 'int32'), vocab)];
      });
      const o = await onWasm({ table, ids, dy }, { out: rows * d, dt: vocab * d }, (p, K) => {
        K.bag_fwd(p.table!, p.ids!, p.out!, rows, g, d, pad);
        K.bag_bwd(p.dy!, p.ids!, p.dt!, rows, g, d, pad, vocab);
      });
      close(o.out!, want[0]!, 1e-6, `bag_fwd d=${d}`);
      close(o.dt!, want[1]!, 1e-6, `bag_bwd d=${d}`);
    }
    // an id ≥ vocab is dropped by bag_bwd (the gather gradient's contract)
    const o = await onWasm({ ids: Int32Array.from([1, 9]), dy: Float32Array.from([1, 2, 3, 4]) }, { dt: 4 }, (p, K) =>
      K.bag_bwd(p.dy!, p.ids!, p.dt!, 2, 1, 2, -1, 2),
    );
    expect(Array.from(o.dt!)).toEqual([0, 0, 1, 2]);
  });
});

describe('attention, convolution pieces and pooling at their edges, against tfjs on cpu', () => {
  it('attn_fwd and attn_bwd: key lengths across the 4-lane softmax block, head sizes across the gemm blocks, with and without a mask', async () => {
    const [B, h] = [2, 2];
    for (const tk of [1, 3, 4, 5, 9]) {
      for (const [tq, dh] of [
        [1, 3],
        [5, 4],
        [4, 9],
      ] as const) {
        for (const masked of [false, true]) {
          const H = h * dh;
          const scale = 1 / Math.sqrt(dh);
          const [q, k, v, dout] = [
            rand(tk * 11 + dh, B * tq * H),
            rand(tk * 11 + dh + 1, B * tk * H),
            rand(tk * 11 + dh + 2, B * tk * H),
            rand(tk * 11 + dh + 3, B * tq * H),
          ];
          const mask = Float32Array.from({ length: B * tk }, (_, i) => (masked && i % tk === tk - 1 && tk > 1 ? 0 : 1));
          const attn = (qt: tf.Tensor, kt: tf.Tensor, vt: tf.Tensor) => {
            const split = (t: tf.Tensor, len: number) => tf.transpose(tf.reshape(t, [B, len, h, dh]), [0, 2, 1, 3]);
            let s = tf.mul(tf.matMul(split(qt, tq), split(kt, tk), false, true), scale);
            s = tf.add(s, tf.reshape(tf.mul(tf.sub(tf.tensor2d(mask, [B, tk]), 1), 1e9), [B, 1, 1, tk]));
            const pr = tf.softmax(s);
            return { out: tf.reshape(tf.transpose(tf.matMul(pr, split(vt, tk)), [0, 2, 1, 3]), [B, tq, H]), p: pr };
          };
          const want = await cpu(() => {
            const [qt, kt, vt] = [tf.tensor3d(q, [B, tq, H]), tf.tensor3d(k, [B, tk, H]), tf.tensor3d(v, [B, tk, H])];
            const { out, p } = attn(qt, kt, vt);
            const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
              tf.sum(tf.mul(attn(a, b, c).out, tf.tensor3d(dout, [B, tq, H]))),
            )([qt, kt, vt]);
            return [out, p, ...grads];
          });
          const o = await onWasm(
            { q, k, v, mask, dout },
            {
              out: B * tq * H,
              p: B * h * tq * tk,
              s1: dh * tk,
              dq: B * tq * H,
              dk: B * tk * H,
              dv: B * tk * H,
              s2: dh * tk + tq * tk,
            },
            (p, K) => {
              K.attn_fwd(p.q!, p.k!, p.v!, masked ? p.mask! : 0, p.out!, p.p!, p.s1!, B, tq, tk, h, dh, scale);
              K.attn_bwd(p.dout!, p.q!, p.k!, p.v!, p.p!, p.dq!, p.dk!, p.dv!, p.s2!, B, tq, tk, h, dh, scale);
            },
          );
          const what = `tq=${tq} tk=${tk} dh=${dh}${masked ? ' masked' : ''}`;
          // softmax through a polynomial exp and sums of ≤ 9 terms: ≈ 1e-7 seen; 2e-6 leaves room
          close(o.out!, want[0]!, 2e-6, `attn out ${what}`);
          close(o.p!, want[1]!, 2e-6, `attn p ${what}`);
          close(o.dq!, want[2]!, 5e-6, `attn dq ${what}`);
          close(o.dk!, want[3]!, 5e-6, `attn dk ${what}`);
          close(o.dv!, want[4]!, 5e-6, `attn dv ${what}`);
        }
      }
    }
  });

  it('im2col and col2im: channels across the 4-lane block, 1×1 and 3×3 windows, stride 1 and 2, zero padding', async () => {
    const B = 2;
    for (const c of [1, 3, 4, 5]) {
      for (const [k, s, pad, H, W] of [
        [1, 1, 0, 3, 4],
        [3, 1, 1, 5, 4],
        [3, 2, 1, 5, 6],
        [3, 2, 0, 7, 5],
      ] as const) {
        const co = 3;
        const oh = Math.floor((H + 2 * pad - k) / s) + 1;
        const ow = Math.floor((W + 2 * pad - k) / s) + 1;
        const [x, w, dy] = [
          rand(c * 17 + k, B * H * W * c),
          rand(c * 17 + k + 1, k * k * c * co),
          rand(c * 17 + k + 2, B * oh * ow * co),
        ];
        const padding = [
          [0, 0],
          [pad, pad],
          [pad, pad],
          [0, 0],
        ] as [[number, number], [number, number], [number, number], [number, number]];
        const conv = (xt: tf.Tensor) => tf.conv2d(xt as tf.Tensor4D, tf.tensor4d(w, [k, k, c, co]), s, padding);
        const want = await cpu(() => {
          const xt = tf.tensor4d(x, [B, H, W, c]);
          const dyt = tf.tensor2d(dy, [B * oh * ow, co]);
          return [
            conv(xt),
            tf.matMul(dyt, tf.tensor2d(w, [k * k * c, co]), false, true),
            tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(conv(xi), tf.reshape(dyt, [B, oh, ow, co]))))(xt),
          ];
        });
        const rowsCol = B * oh * ow;
        const o = await onWasm({ x, dcol: want[1]! }, { col: rowsCol * k * k * c, dx: B * H * W * c }, (p, K) => {
          K.im2col(p.x!, p.col!, B, H, W, c, k, s, pad, oh, ow);
          K.col2im(p.dcol!, p.dx!, B, H, W, c, k, s, pad, oh, ow);
        });
        const [viaCol] = await cpu(() => [
          tf.matMul(tf.tensor2d(o.col!, [rowsCol, k * k * c]), tf.tensor2d(w, [k * k * c, co])),
        ]);
        const what = `C=${c} k=${k} s=${s} pad=${pad} ${H}×${W}`;
        close(viaCol!, want[0]!, 1e-5, `im2col·W = conv2d ${what}`); // sums of ≤ 45 products
        close(o.dx!, want[2]!, 1e-5, `col2im = conv2d's input gradient ${what}`);
      }
    }
  });

  it('im2col and col2im equal a plain loop bit for bit: windows clipped on one side, both sides, or wholly outside', async () => {
    // im2col copies a window row's pixels inside the image as one run; col2im adds one back as one run. The loops
    // below read pixel by pixel and add in (oh, ow, fh, fw) order, each sum rounded to float32.
    const B = 2;
    for (const c of [1, 3, 8]) {
      for (const [k, s, pad, H, W] of [
        [3, 1, 1, 4, 5], // clipped on the left or the right
        [5, 1, 2, 3, 2], // the image narrower than the window: clipped on both sides
        [5, 2, 4, 3, 3], // pad beyond the window: whole window rows outside the image
        [3, 1, 4, 2, 2], // and whole windows outside it
        [3, 8, 4, 7, 1], // one window column per image, all left of the image (rows inside it at the last output row)
        [3, 2, 1, 6, 7],
        [1, 1, 0, 2, 3],
      ] as const) {
        const [oh, ow] = [Math.floor((H + 2 * pad - k) / s) + 1, Math.floor((W + 2 * pad - k) / s) + 1];
        const KC = k * k * c;
        const [x, dcol] = [rand(c * 31 + k, B * H * W * c), rand(c * 31 + k + 1, B * oh * ow * KC)];
        const col = new Float32Array(B * oh * ow * KC);
        const dx = new Float32Array(B * H * W * c);
        for (let b = 0, r = 0; b < B; b++)
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++, r++)
              for (let fh = 0; fh < k; fh++)
                for (let fw = 0; fw < k; fw++) {
                  const [ih, iw] = [i * s + fh - pad, j * s + fw - pad];
                  if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                  for (let ch = 0; ch < c; ch++) {
                    const [at, to] = [((b * H + ih) * W + iw) * c + ch, r * KC + (fh * k + fw) * c + ch];
                    col[to] = x[at]!;
                    dx[at] = Math.fround(dx[at]! + dcol[to]!);
                  }
                }
        const o = await onWasm({ x, dcol }, { col: col.length, dx: dx.length }, (p, K) => {
          K.im2col(p.x!, p.col!, B, H, W, c, k, s, pad, oh, ow);
          K.col2im(p.dcol!, p.dx!, B, H, W, c, k, s, pad, oh, ow);
        });
        const what = `C=${c} k=${k} s=${s} pad=${pad} ${H}×${W}`;
        expect(o.col, `im2col ${what}`).toEqual(col);
        expect(o.dx, `col2im ${what}`).toEqual(dx);
      }
    }
  });

  it('maxpool2_fwd and maxpool2_bwd: channels across the 4-lane block, odd heights and widths (last row / column dropped)', async () => {
    const B = 2;
    for (const c of [1, 3, 4, 5, 8, 9]) {
      for (const [H, W] of [
        [4, 4],
        [5, 7],
        [2, 3],
      ] as const) {
        const [oh, ow] = [Math.floor(H / 2), Math.floor(W / 2)];
        const [x, dy] = [rand(c * 13 + H, B * H * W * c), rand(c * 13 + W, B * oh * ow * c)];
        const pool = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid');
        const want = await cpu(() => {
          const xt = tf.tensor4d(x, [B, H, W, c]);
          return [pool(xt), tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(pool(xi), tf.tensor4d(dy, [B, oh, ow, c]))))(xt)];
        });
        const o = await onWasm({ x, dy }, { y: B * oh * ow * c, dx: B * H * W * c }, (p, K) => {
          K.maxpool2_fwd(p.x!, p.y!, B, H, W, c);
          K.maxpool2_bwd(p.dy!, p.x!, p.y!, p.dx!, B, H, W, c);
        });
        close(o.y!, want[0]!, 0, `maxpool y C=${c} ${H}×${W}`); // a max: exact
        close(o.dx!, want[1]!, 0, `maxpool dx C=${c} ${H}×${W}`); // routed, not summed: exact
      }
    }
  });

  it('rowdot: row counts across its 4-row block, widths across the 4-lane block', async () => {
    for (const d of [1, 3, 4, 5, 128, 130]) {
      for (const n of [1, 3, 4, 5, 9]) {
        const [a, q] = [rand(n * 31 + d, n * d), rand(d * 7 + 1, d)];
        const [want] = await cpu(() => [tf.reshape(tf.matMul(tf.tensor2d(a, [n, d]), tf.tensor2d(q, [d, 1])), [n])]);
        const o = await onWasm({ a, q }, { out: n }, (p, K) => K.rowdot(p.a!, p.q!, p.out!, n, d));
        // float32 sums of d products of |x| ≤ 1 in another order
        close(o.out!, want!, 1e-6 * d + 1e-6, `rowdot ${n}×${d}`);
      }
    }
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { disposeBackend, initBackend } from '../../../src/core/backend';
import { setSplitLimits } from '../../../src/core/backend/simd/pool';
import {
  addTableGrads,
  bagGradRows,
  compactRowsOf,
  denseTableGrad,
  tableGradCounts,
  touchedRows,
  touchedRowsOf,
  withTableGrads,
} from '../../../src/core/backend/table-grad';
import { asWasm } from '../../../src/core/backend/wasm-heap';
import { fusedEmbeddingBag } from '../../../src/core/nn/fused';
import { AdamW } from '../../../src/core/optim/adamw';
import { globalNorm } from '../../../src/core/optim/clip';
import { rand, randT } from './oracle';

// An embedding table's gradient kept as touched rows inside withTableGrads (trainStep's backward pass) against the
// dense gradient the same ops give outside it: bit for bit, on one thread and split across two.
afterEach(() => setSplitLimits());
afterAll(disposeBackend);

const PAD = 0;

/** ids (B, T, G) in [0, V): pad pieces, repeats within a pass, and rows 1..3 in every pass. */
function ids(seed: number, b: number, t: number, g: number, vocab: number): tf.Tensor3D {
  const u = rand(seed, b * t * g, 0, 1);
  const v = Int32Array.from(u, (x, i) => (i % 7 === 0 ? PAD : i % 11 === 0 ? 1 + (i % 3) : Math.floor(x * vocab)));
  return tf.tensor3d(v, [b, t, g], 'int32');
}

/**
 * Σ_k Σ w_k ⊙ bag_k(table) + Σ other², the weights w_k drawn from seed + k, every 13th one −0: a table row whose only
 * term is −0 must sum to +0 (+0 + −0), as the dense gradient's zeroed rows do.
 */
function passesLoss(table: tf.Variable, other: tf.Variable, passes: tf.Tensor3D[], seed: number): tf.Scalar {
  let sum = tf.sum(tf.square(other)) as tf.Scalar;
  passes.forEach((p, k) => {
    const out = fusedEmbeddingBag(table as tf.Tensor as tf.Tensor2D, p, PAD)!;
    const w = rand(seed + k, out.size).map((x, i) => (i % 13 === 3 ? -0 : x));
    sum = tf.add(sum, tf.sum(tf.mul(out, tf.tensor(w, out.shape)))) as tf.Scalar;
  });
  return sum;
}

/** The gradients of passesLoss for 4 passes through one table, and the loss. */
function grads(table: tf.Variable, other: tf.Variable, vocab: number, rows: boolean): Uint32Array[] {
  const wrap = <T>(f: () => T) => (rows ? withTableGrads(f) : f());
  const outs = tf.tidy(() => {
    const passes = [ids(1, 3, 5, 4, vocab), ids(2, 2, 9, 4, vocab), ids(3, 4, 2, 4, vocab), ids(4, 1, 6, 4, vocab)];
    const { value, grads } = wrap(() => tf.variableGrads(() => passesLoss(table, other, passes, 10), [table, other]));
    return [value, grads[table.name]!, grads[other.name]!];
  });
  const bits = outs.map((t) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
  tf.dispose(outs);
  return bits;
}

describe('embedding-table gradients kept as rows', () => {
  for (const threads of [1, 2]) {
    for (const d of [8, 6]) {
      it(`${threads} thread(s), D = ${d}: the same bits as the dense gradient, no tensor left behind`, async () => {
        expect((await initBackend({ backend: 'wasm', threads, quiet: true })).threads).toBe(threads);
        if (threads > 1) setSplitLimits({ macs: 1, elements: 1 }); // split even these small tables and lists
        const vocab = 1031;
        const table = tf.variable(randT(5, [vocab, d]), true, `tg/table${threads}${d}`);
        const other = tf.variable(randT(6, [7]), true, `tg/other${threads}${d}`);
        const counts0 = { ...tableGradCounts };
        const dense = grads(table, other, vocab, false);
        expect(tableGradCounts).toEqual(counts0); // outside withTableGrads: dense, as before
        tf.dispose(tf.fill([2 * vocab * d], 7)); // freed heap the kept gradients may reuse: not zero
        const before = { tensors: tf.memory().numTensors, data: tf.backend().numDataIds() };
        const counts = { ...tableGradCounts };
        const rows = grads(table, other, vocab, true);
        // 4 passes kept as rows, 3 sums merged
        expect(tableGradCounts.kept - counts.kept).toBe(4);
        expect(tableGradCounts.merged - counts.merged).toBe(3);
        expect(tf.memory().numTensors).toBe(before.tensors);
        expect(tf.backend().numDataIds()).toBe(before.data);
        rows.forEach((r, i) => expect(Array.from(r), `output ${i}`).toEqual(Array.from(dense[i]!)));
        // untouched rows are +0 (not left undefined): the table has rows no pass reaches
        const g = new Float32Array(rows[1]!.buffer);
        const untouched = Array.from({ length: vocab }, (_, r) => r).filter(
          (r) => g[r * d] === 0 && g[r * d + 1] === 0,
        );
        expect(untouched.length).toBeGreaterThan(vocab / 2);
        tf.dispose([table, other]);
      });
    }
  }

  for (const threads of [1, 2]) {
    it(`${threads} thread(s): a gradient handed out compact (trainStep's) gives the dense one's norm, AdamW update and values, to the bit`, async () => {
      await initBackend({ backend: 'wasm', threads, quiet: true });
      if (threads > 1) setSplitLimits({ macs: 1, elements: 1 });
      const [vocab, d] = [1031, 8];
      const init = randT(5, [vocab, d]);
      const table = tf.variable(init, true, `tgc/table${threads}`);
      const init2 = randT(6, [7]);
      const other = tf.variable(init2, true, `tgc/other${threads}`);
      const passes = [ids(1, 3, 5, 4, vocab), ids(2, 2, 9, 4, vocab), ids(3, 4, 2, 4, vocab)];
      let before = { tensors: 0, data: 0 };
      const step = (compact: boolean) => {
        table.assign(init);
        other.assign(init2);
        const { value, grads } = withTableGrads(
          () => tf.variableGrads(() => passesLoss(table, other, passes, 30), [table, other]),
          { compact },
        );
        const g = grads[table.name]!;
        const rows = compactRowsOf(g);
        const norm = globalNorm(grads);
        const opt = new AdamW({ weightDecay: 0.01 });
        opt.step(grads, 1e-2, 0.5);
        opt.step(grads, 1e-2, 0.5); // moments read back, not only written
        const updated = Array.from(new Uint32Array(table.dataSync().slice().buffer));
        denseTableGrad(g);
        const out = {
          rows,
          norm,
          updated,
          dense: compactRowsOf(g),
          g: Array.from(new Uint32Array(g.dataSync().slice().buffer)),
        };
        opt.dispose();
        tf.dispose([value, ...Object.values(grads)]);
        return out;
      };
      const dense = step(false);
      before = { tensors: tf.memory().numTensors, data: tf.backend().numDataIds() }; // the variables now hold init's data
      const compact = step(true);
      expect(dense.rows).toBeUndefined();
      expect(compact.rows!.rows.length).toBeGreaterThan(20);
      expect(compact.rows!.rows.length).toBeLessThan(vocab / 2);
      expect(compact.dense).toBeUndefined(); // made dense by denseTableGrad
      expect(compact.norm).toBe(dense.norm);
      expect(compact.updated).toEqual(dense.updated);
      expect(compact.g).toEqual(dense.g);
      expect(compact.updated).not.toEqual(Array.from(new Uint32Array(init.dataSync().slice().buffer)));
      expect(tf.memory().numTensors).toBe(before.tensors);
      expect(tf.backend().numDataIds()).toBe(before.data);
      tf.dispose([table, other, init, init2, ...passes]);
    });
  }

  it('the global norm reads a table gradient in its touched rows only, to the bit of the dense sum', async () => {
    await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    const vocab = 1031;
    const table = tf.variable(randT(7, [vocab, 8]), true, 'tg/norm-table');
    const other = tf.variable(randT(8, [7]), true, 'tg/norm-other');
    const passes = [ids(1, 3, 5, 4, vocab), ids(2, 2, 9, 4, vocab), ids(3, 4, 2, 4, vocab)];
    const { grads } = withTableGrads(() =>
      tf.variableGrads(() => passesLoss(table, other, passes, 20), [table, other]),
    );
    const g = grads[table.name]!;
    const rows = touchedRowsOf(g);
    expect(rows?.d).toBe(8);
    expect(rows!.rows.length).toBeGreaterThan(20);
    expect(rows!.rows.length).toBeLessThan(vocab / 2);
    const copies = Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, tf.add(t, 0)])); // fresh data: read whole
    expect(touchedRowsOf(copies[table.name]!)).toBeUndefined();
    expect(globalNorm(grads)).toBe(globalNorm(copies));
    tf.dispose([...Object.values(grads), ...Object.values(copies), table, other, ...passes]);
  });

  it('a kept gradient whose data is shared is made dense, not summed into; a kept + plain tensor is a plain sum', async () => {
    await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    const be = asWasm(tf.backend());
    const [vocab, d, g] = [50, 4, 2];
    const shape = { vocab, d, g, padId: PAD };
    const idsA = tf.tensor1d([3, 4, 4, PAD, 9, 3], 'int32');
    const idsB = tf.tensor1d([4, 7, PAD, 7, 1, 2], 'int32');
    const [dyA, dyB, plain] = [randT(20, [3, d]), randT(21, [3, d]), randT(22, [vocab, d])];
    const denseOf = (i: tf.Tensor, dy: tf.Tensor) => {
      const m = new Float32Array(vocab * d);
      const v = i.dataSync();
      const y = dy.dataSync();
      v.forEach((id, k) => {
        if (id !== PAD)
          for (let j = 0; j < d; j++) m[id * d + j] = Math.fround(m[id * d + j]! + y[Math.floor(k / g) * d + j]!);
      });
      return m;
    };
    const [wantA, wantB] = [denseOf(idsA, dyA), denseOf(idsB, dyB)];
    const wantSum = wantA.map((x, i) => Math.fround(x + wantB[i]!));
    const out = withTableGrads(() => {
      const a = bagGradRows(be, dyA, idsA, idsA.dataSync() as Int32Array, shape);
      const b = bagGradRows(be, dyB, idsB, idsB.dataSync() as Int32Array, shape);
      const view = tf.reshape(a, [vocab * d]); // a's data now has two references
      expect(addTableGrads(be, a, b)).toBeNull(); // so it is not summed in place
      const sum = tf.add(a, b);
      const c = bagGradRows(be, dyB, idsB, idsB.dataSync() as Int32Array, shape);
      const mixed = tf.add(c, plain); // kept + plain: c made dense, then the stock sum
      const values = [view, sum, mixed].map((t) => t.dataSync());
      tf.dispose([a, b, c, view, sum, mixed]);
      return values;
    });
    expect(Array.from(out[0]!)).toEqual(Array.from(wantA));
    expect(Array.from(out[1]!)).toEqual(Array.from(wantSum));
    const p = plain.dataSync();
    expect(Array.from(out[2]!)).toEqual(Array.from(wantB, (x, i) => Math.fround(x + p[i]!)));
    tf.dispose([idsA, idsB, dyA, dyB, plain]);
  });

  it('the touched rows of a pass: each id once, ascending, pad and out-of-range ids left out (a sorted Set)', () => {
    for (const [vocab, n, seed] of [
      [70, 300, 1], // ids past a 32-bit word, in a partial last word
      [64, 20, 2],
      [32_770, 5_000, 3],
      [33, 0, 4],
    ] as const) {
      const r = rand(seed, n);
      // ids on word edges (0, 31, 32, 63, vocab - 1), pad (5), outside the table (-1, vocab)
      const edge = [0, 31, 32, 63, vocab - 1, 5, -1, vocab];
      const values = Int32Array.from(r, (x, i) =>
        i % 7 === 0 ? edge[i % edge.length]! : Math.floor(Math.abs(x) * vocab) % vocab,
      );
      const touched = new Int32Array(vocab);
      const want = [...new Set(values)].filter((id) => id !== 5 && id >= 0 && id < vocab).sort((a, b) => a - b);
      const got = touchedRows(values, vocab, 5, touched);
      expect(Array.from(got), `vocab ${vocab}`).toEqual(want);
      expect(Array.from(touched.keys()).filter((id) => touched[id] === 1)).toEqual(want);
    }
  });

  it('outside withTableGrads the gradient is dense as before (nothing kept)', async () => {
    await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    const be = asWasm(tf.backend());
    const a = randT(30, [50, 4]);
    expect(addTableGrads(be, a, a)).toBeNull();
    tf.dispose(a);
  });
});

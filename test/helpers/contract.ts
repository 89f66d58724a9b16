// Shared plugin-contract checks for anything that owns tfjs variables (encoders, fusions, heads, ...).
// `describeModuleContract` registers the standard `it` blocks inside the caller's describe; the smaller
// helpers (rng, batches, gradient norms, leak counting) are exported for plugin-specific oracle tests.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend';
import { withTableGrads } from '../../src/core/backend/table-grad';
import type { AnyPlugin } from '../../src/core/registry';
import type { EncodedBatch } from '../../src/core/text/tokenizer';
import '../../src/core/nn/gradients';

/** wasm (what trains) on one thread: the machine's 2 cores are shared by parallel test files. */
export async function useBackend(name: 'wasm' | 'cpu' = 'wasm'): Promise<void> {
  await initBackend({ backend: name, threads: 1, quiet: true });
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not start`);
}

import { mulberry32 as rng } from '../../src/core/rng';

export { rng };

/** A tensor of `shape` with values uniform in [-1, 1) drawn from `r`. */
export const uniformTensor = (r: () => number, shape: number[]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1),
    shape,
  );

export interface BatchShape {
  batch: number; // B
  length: number; // T incl. CLS
  pieces: number; // G
  vocabSize: number;
  padId?: number; // default 0
  clsId?: number; // default 1
  /** Real tokens per row (excl. CLS); default random in [1, T - 1]. */
  tokens?: readonly number[];
}

/**
 * A hand-built EncodedBatch: CLS at position 0 (its only piece), then random tokens whose pieces are random
 * ids ≥ 2 (the last pieces of a token may be pad), then padding (all pieces pad, mask 0).
 */
export function randomBatch(r: () => number, s: BatchShape): EncodedBatch {
  const { batch: B, length: T, pieces: G, vocabSize: V } = s;
  const pad = s.padId ?? 0;
  const cls = s.clsId ?? 1;
  const ids = new Int32Array(B * T * G).fill(pad);
  const mask = new Float32Array(B * T);
  const wordIndex = new Int32Array(B * T).fill(-1);
  const firstPiece = new Uint8Array(B * T);
  const words: EncodedBatch['words'] = [];
  for (let b = 0; b < B; b++) {
    const n = s.tokens?.[b] ?? 1 + Math.floor(r() * (T - 1));
    ids[b * T * G] = cls;
    mask[b * T] = 1;
    words.push([]);
    for (let t = 1; t <= n; t++) {
      mask[b * T + t] = 1;
      wordIndex[b * T + t] = t - 1;
      firstPiece[b * T + t] = 1;
      words[b]!.push({ text: `w${t}`, start: 3 * (t - 1), end: 3 * (t - 1) + 2 });
      const used = 1 + Math.floor(r() * G);
      for (let g = 0; g < used; g++) ids[(b * T + t) * G + g] = 2 + Math.floor(r() * (V - 2));
    }
  }
  return { batch: B, length: T, pieces: G, ids, mask, wordIndex, firstPiece, words };
}

/** The same batch with every piece of every padding token (mask 0) replaced by a random non-pad id. */
export function scramblePadding(r: () => number, b: EncodedBatch, vocabSize: number): EncodedBatch {
  const ids = b.ids.slice();
  for (let i = 0; i < b.batch * b.length; i++) {
    if (b.mask[i] === 0)
      for (let g = 0; g < b.pieces; g++) ids[i * b.pieces + g] = 2 + Math.floor(r() * (vocabSize - 2));
  }
  return { ...b, ids };
}

/** Seeded images (B, S, S, 3) in [0, 1]. */
export function randomImages(r: () => number, batch: number, size: number): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: batch * size * size * 3 }, r), [batch, size, size, 3]);
}

/** L2 norm of each row of a (B, D) tensor. */
export function rowNorms(t: tf.Tensor): number[] {
  const [b, d] = t.shape as [number, number];
  const v = t.dataSync();
  return Array.from({ length: b }, (_, i) => Math.hypot(...v.subarray(i * d, (i + 1) * d)));
}

/** Largest |a - b| over two tensors of the same shape. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/**
 * A scalar that depends on every element of the outputs: Σ_k Σ out_k ⊙ R_k with fixed random R_k. (A plain
 * sum can have zero gradient: Σ of a LayerNorm output over its axis is constant.)
 */
export function probeScalar(outputs: readonly tf.Tensor[], seed = 7): tf.Scalar {
  return tf.tidy(
    () =>
      outputs
        .map((o, k) => tf.sum(tf.mul(tf.cast(o, 'float32'), tf.randomNormal(o.shape, 0, 1, 'float32', seed + k))))
        .reduce((a, b) => tf.add(a, b)) as tf.Scalar,
  );
}

/** A tensor's values as raw bits (±0 and NaN payloads kept apart). */
export const bitsOf = (t: tf.Tensor) => new Uint32Array(Float32Array.from(t.dataSync()).buffer);

/**
 * The outputs of f and every variable's gradient of probeScalar over them, as raw bits, inside withTableGrads as a
 * training step takes them (two ways of computing the same thing compare to the bit with this).
 */
export function probeBits(
  variables: readonly tf.Variable[],
  f: () => tf.Tensor[],
): { outs: Uint32Array[]; grads: Record<string, Uint32Array> } {
  let outs: Uint32Array[] = [];
  const { value, grads } = withTableGrads(() =>
    tf.variableGrads(() => {
      const ts = f();
      outs = ts.map(bitsOf);
      return probeScalar(ts);
    }, [...variables]),
  );
  const g = Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, bitsOf(t)]));
  tf.dispose([value, ...Object.values(grads)]);
  return { outs, grads: g };
}

/** The names whose gradients differ in any bit between two probeBits results (or exist in one only). */
export const differingGrads = (a: Record<string, Uint32Array>, b: Record<string, Uint32Array>) =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (k) => !a[k] || !b[k] || a[k]!.length !== b[k]!.length || a[k]!.some((x, i) => x !== b[k]![i]),
  );

/** ‖∂f/∂v‖ for every variable (by name; 0 when f does not depend on it). */
export function gradientNorms(variables: readonly tf.Variable[], f: () => tf.Scalar): Map<string, number> {
  const { value, grads } = tf.variableGrads(f, [...variables]);
  const out = new Map(
    variables.map((v) => [v.name, grads[v.name] ? tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!) : 0]),
  );
  value.dispose();
  tf.dispose(Object.values(grads));
  return out;
}

/** Tensors alive after `fn` that were not alive before (0 = no leak). */
export async function leakedTensors(fn: () => unknown): Promise<number> {
  const before = tf.memory().numTensors;
  await fn();
  return tf.memory().numTensors - before;
}

/** Registers: the plugin parses its own defaults, has a kebab-case id and a one-line summary. */
export function describePluginBasics(plugin: AnyPlugin): void {
  it(`${plugin.kind} '${plugin.id}': kebab-case id, one-line summary, parses {} (all defaults in the schema)`, () => {
    expect(plugin.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(plugin.summary.length).toBeGreaterThan(10);
    expect(plugin.summary).not.toMatch(/\n/);
    expect(plugin.configSchema.safeParse({}).success).toBe(true);
  });
}

export interface Parametric {
  variables(): tf.Variable[];
  dispose(): void;
}

export interface ModuleContract<M extends Parametric> {
  /** Builds the module (default config, a small ctx); called several times, instances may coexist. */
  build: () => M | Promise<M>;
  /** One forward pass on a fixed input (inside tf.tidy); returns the named outputs. */
  run: (m: M, training: boolean) => Record<string, tf.Tensor>;
  /** Expected shape of each output. */
  shapes: Record<string, number[]>;
  /** Outputs whose rows must have unit L2 norm. */
  unitRows?: string[];
  /** Allow a module with no trainable variables (identity fusions, frozen towers). */
  noVariables?: boolean;
}

/**
 * Registers the contract every parametric plugin passes: declared shapes, finite values, unit rows, gradients
 * reaching EVERY trainable variable, same seed → identical outputs, and no leaked tensors after dispose.
 */
export function describeModuleContract<M extends Parametric>(c: ModuleContract<M>): void {
  const outputs = (m: M, training = false) =>
    tf.tidy(() => c.run(m, training) as unknown as tf.TensorContainer) as unknown as Record<string, tf.Tensor>;

  it('outputs have the declared shapes, finite values and unit rows where declared', async () => {
    const m = await c.build();
    const out = outputs(m);
    try {
      expect(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.shape]))).toEqual(c.shapes);
      for (const [k, t] of Object.entries(out)) expect(tf.all(tf.isFinite(t)).dataSync()[0], `${k} finite`).toBe(1);
      for (const k of c.unitRows ?? []) for (const n of rowNorms(out[k]!)) expect(n).toBeCloseTo(1, 5);
    } finally {
      tf.dispose(out);
      m.dispose();
    }
  });

  it('gradients reach every trainable variable', async () => {
    const m = await c.build();
    try {
      const vars = m.variables();
      if (!c.noVariables) expect(vars.length).toBeGreaterThan(0);
      expect(new Set(vars.map((v) => v.name)).size).toBe(vars.length);
      if (vars.length === 0) return;
      const norms = gradientNorms(vars, () => probeScalar(Object.values(c.run(m, true))));
      const dead = [...norms].filter(([, n]) => !(n > 0) || !Number.isFinite(n)).map(([k]) => k);
      expect(dead).toEqual([]);
    } finally {
      m.dispose();
    }
  });

  it('the same seed gives identical variables and outputs (two live instances)', async () => {
    const a = await c.build();
    const b = await c.build();
    try {
      const va = a.variables();
      const vb = b.variables();
      expect(vb.length).toBe(va.length);
      va.forEach((v, i) => expect(maxAbsDiff(v, vb[i]!), v.name).toBe(0));
      const oa = outputs(a);
      const ob = outputs(b);
      for (const k of Object.keys(oa)) expect(maxAbsDiff(oa[k]!, ob[k]!), k).toBe(0);
      tf.dispose([oa, ob] as unknown as tf.TensorContainer);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('leaks no tensors: build, forward, gradients, dispose', async () => {
    const n = await leakedTensors(async () => {
      const m = await c.build();
      tf.dispose(outputs(m, true));
      const vars = m.variables();
      if (vars.length) gradientNorms(vars, () => probeScalar(Object.values(c.run(m, true))));
      m.dispose();
    });
    expect(n).toBe(0);
  });
}

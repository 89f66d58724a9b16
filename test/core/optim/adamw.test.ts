import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, lrSchedule } from '../../../src/core/optim';
import { rng } from '../../helpers/fake-run';
import { BACKENDS, useBackend, values } from '../../plugins/losses/backends';

/** Plain float64 AdamW on one parameter (PyTorch's order and decay scaling): the oracle. */
class AdamWJs {
  m: number[];
  v: number[];
  t = 0;
  constructor(
    public p: number[],
    readonly decay: boolean,
    readonly c = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 },
  ) {
    this.m = p.map(() => 0);
    this.v = p.map(() => 0);
  }
  step(g: number[], lr: number) {
    const { beta1, beta2, epsilon, weightDecay } = this.c;
    this.t += 1;
    this.p = this.p.map((p, i) => {
      const decayed = this.decay ? p * (1 - lr * weightDecay) : p;
      this.m[i] = beta1 * this.m[i]! + (1 - beta1) * g[i]!;
      this.v[i] = beta2 * this.v[i]! + (1 - beta2) * g[i]! ** 2;
      const mHat = this.m[i]! / (1 - beta1 ** this.t);
      const vHat = this.v[i]! / (1 - beta2 ** this.t);
      return decayed - (lr * mHat) / (Math.sqrt(vHat) + epsilon);
    });
  }
}

const maxAbsDiff = (x: readonly number[], y: readonly number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));

describe.each(BACKENDS)('AdamW on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const r = rng(21);
  const rand = (n: number) => Array.from({ length: n }, () => r() * 2 - 1);
  // Quadratic L = Σ ½·h·(p - c)² per parameter: the gradient is h·(p - c).
  const init = { W: rand(12), bias: rand(4), frozen: rand(6), late: rand(4) };
  const centre = { W: rand(12), bias: rand(4), late: rand(4) };
  const curv = { W: rand(12).map((x) => 1 + x), bias: rand(4).map((x) => 2 + x), late: rand(4).map((x) => 1.5 + x) };
  const shapes = { W: [3, 4], bias: [4], frozen: [2, 3], late: [4] };
  const names = (k: string) => `o-${backend}/${k}`;
  const make = () =>
    Object.fromEntries(
      Object.entries(init).map(([k, v]) => [
        k,
        tf.tidy(() => tf.variable(tf.tensor(v, shapes[k as keyof typeof shapes]), true, names(k))),
      ]),
    ) as Record<keyof typeof init, tf.Variable>;
  const schedule = lrSchedule({ base: 0.05, totalSteps: 8, warmupFraction: 0.25 });
  const trained = (step: number) => (step < 3 ? (['W', 'bias'] as const) : (['W', 'bias', 'late'] as const)); // `late` joins at step 3

  /** Steps [from, to) of training through tf.variableGrads on the quadratic. */
  function train(opt: AdamW, vars: Record<string, tf.Variable>, from: number, to: number) {
    for (let step = from; step < to; step++) {
      const keys = trained(step);
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(
            () =>
              tf.addN(
                keys.map((k) => {
                  const d = tf.sub(vars[k]!, tf.tensor(centre[k], vars[k]!.shape));
                  return tf.mul(0.5, tf.sum(tf.mul(tf.tensor(curv[k], vars[k]!.shape), tf.square(d))));
                }),
              ) as tf.Scalar,
          ),
        keys.map((k) => vars[k]!),
      );
      opt.step(grads, schedule(step));
      tf.dispose([value, ...Object.values(grads)]);
    }
  }

  it('matches a plain float64 AdamW over 8 steps (decay on the matrix only, per-parameter bias correction, frozen untouched)', () => {
    const before = tf.memory().numTensors;
    const vars = make();
    const frozenBits = new Uint8Array(vars.frozen.dataSync().buffer.slice(0));
    const opt = new AdamW({ weightDecay: 0.1 });
    train(opt, vars, 0, 8);
    expect(tf.memory().numTensors).toBe(before + 4 + 3 * 3); // 4 parameters + m, v, step for the 3 trained ones

    const js = {
      W: new AdamWJs(init.W, true),
      bias: new AdamWJs(init.bias, false),
      late: new AdamWJs(init.late, false),
    };
    for (let step = 0; step < 8; step++) {
      for (const k of trained(step))
        js[k].step(
          js[k].p.map((p, i) => curv[k][i]! * (p - centre[k][i]!)),
          schedule(step),
        );
    }
    for (const k of ['W', 'bias', 'late'] as const) {
      expect(maxAbsDiff(values(vars[k]), js[k].p), k).toBeLessThan(1e-6);
      expect(maxAbsDiff(values(vars[k]), init[k]), k).toBeGreaterThan(0.05); // it did move
    }
    expect([opt.stepCount(names('W')), opt.stepCount(names('late')), opt.stepCount(names('frozen'))]).toEqual([
      8, 5, 0,
    ]);
    expect(new Uint8Array(vars.frozen.dataSync().buffer)).toEqual(frozenBits);
    expect(Object.keys(opt.state()).sort()).toEqual(
      ['W', 'bias', 'late'].flatMap((k) => ['m', 'step', 'v'].map((s) => `${names(k)}/adamw/${s}`)).sort(),
    );
    expect(maxAbsDiff(values(opt.state()[`${names('W')}/adamw/m`]!), js.W.m)).toBeLessThan(1e-6);
    expect(values(opt.state()[`${names('late')}/adamw/step`]!)).toEqual([5]);

    opt.dispose();
    tf.dispose(Object.values(vars));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resumes from state() bit-identically after loadState into a fresh optimizer', () => {
    let vars = make();
    let opt = new AdamW({ weightDecay: 0.1 });
    train(opt, vars, 0, 8);
    const straight = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, values(v)]));
    opt.dispose();
    tf.dispose(Object.values(vars));

    vars = make();
    opt = new AdamW({ weightDecay: 0.1 });
    train(opt, vars, 0, 5);
    const saved = Object.fromEntries(Object.entries(opt.state()).map(([k, t]) => [k, tf.clone(t)]));
    opt.dispose();
    opt = new AdamW({ weightDecay: 0.1 });
    const modelWeight = tf.zeros([1]); // a checkpoint also holds non-optimizer tensors: ignored
    opt.loadState({ ...saved, [names('W')]: modelWeight });
    tf.dispose([...Object.values(saved), modelWeight]);
    expect(opt.stepCount(names('late'))).toBe(2);
    train(opt, vars, 5, 8);
    for (const k of Object.keys(vars)) expect(values(vars[k as keyof typeof vars]), k).toEqual(straight[k]);
    opt.dispose();
    tf.dispose(Object.values(vars));
  });

  it('refuses checkpoint state that does not fit the model, naming the key', () => {
    const vars = make();
    const opt = new AdamW();
    const m = tf.zeros([3, 4]);
    const wrong = tf.zeros([4, 3]);
    const step = tf.scalar(2);
    expect(() => opt.loadState({ [`${names('W')}/adamw/m`]: m, [`${names('W')}/adamw/v`]: m })).toThrow(
      `optimizer state: '${names('W')}' lacks '${names('W')}/adamw/step'; the checkpoint is incomplete`,
    );
    expect(() => opt.loadState({ 'enc/q/adamw/m': m, 'enc/q/adamw/v': m, 'enc/q/adamw/step': step })).toThrow(
      "optimizer state: 'enc/q/adamw/m' belongs to a variable 'enc/q' this model does not have; was it saved from another model?",
    );
    expect(() =>
      opt.loadState({
        [`${names('W')}/adamw/m`]: m,
        [`${names('W')}/adamw/v`]: wrong,
        [`${names('W')}/adamw/step`]: step,
      }),
    ).toThrow(`optimizer state: '${names('W')}/adamw/v' has shape [4,3] but '${names('W')}' has [3,4]`);
    tf.dispose([m, wrong, step, ...Object.values(vars)]);
    opt.dispose();
  });

  it('decays rank ≥ 2 variables by default, or the names matching decayPattern', () => {
    const vars = make();
    const byRank = new AdamW();
    const byName = new AdamW({ decayPattern: '/(bias|late)$' });
    expect(['W', 'bias', 'frozen', 'late'].map((k) => byRank.decays(vars[k as keyof typeof vars]))).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(['W', 'bias', 'frozen', 'late'].map((k) => byName.decays(vars[k as keyof typeof vars]))).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect(() => new AdamW({ decayPattern: '(' })).toThrow(/^optimizer\.decayPattern: not a valid RegExp/);
    expect(() => new AdamW({ beta2: 1 })).toThrow('optimizer.beta2: Too big: expected number to be <1');
    tf.dispose(Object.values(vars));
  });

  it('updates a variable held only by itself in place; a live clone of it (shared data) keeps the old values', () => {
    const vars = make();
    const opt = new AdamW({ weightDecay: 0.1 });
    const before = Array.from(vars.W.dataSync());
    const clone = vars.W.clone(); // shares W's buffer (no-copy Identity on wasm)
    const grads = { [vars.W.name]: tf.onesLike(vars.W) };
    opt.step(grads, 0.1, 0.5);
    expect(Array.from(clone.dataSync())).toEqual(before);
    const after = Array.from(vars.W.dataSync());
    expect(after.every((x, i) => x !== before[i])).toBe(true);
    clone.dispose();
    const id = vars.W.dataId;
    opt.step(grads, 0.1);
    expect(vars.W.dataId === id).toBe(backend === 'wasm'); // wasm: in place, once nothing else shares the buffer
    expect(Array.from(vars.W.dataSync()).every((x, i) => x < after[i]!)).toBe(true); // positive gradient: p goes down
    tf.dispose([...Object.values(grads), ...Object.values(vars)]);
    opt.dispose();
  });
});

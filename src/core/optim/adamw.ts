import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { UserError } from '../errors';
import { formatZodError } from '../registry/registry';
import { onWasmFloat32 } from '../backend/wasm-heap';
import { adamWOnHeap } from './heap-update';

export const AdamWConfigSchema = z.object({
  beta1: z.number().min(0).lt(1).default(0.9).describe('decay of the first moment m'),
  beta2: z.number().min(0).lt(1).default(0.999).describe('decay of the second moment v'),
  epsilon: z.number().positive().default(1e-8).describe('added to √v̂ in the denominator'),
  weightDecay: z.number().min(0).default(0.01).describe('λ: decoupled decay p ← p·(1 - lr·λ) (PyTorch AdamW)'),
  decayPattern: z
    .string()
    .optional()
    .describe(
      'RegExp source tested on variable names: the ones that get weight decay. Default: every variable of rank ≥ 2 (weight matrices and embedding tables; not biases, LayerNorm gains, scalars)',
    ),
});
export type AdamWConfig = z.output<typeof AdamWConfigSchema>;

/** Optimizer slot names derived from the parameter name, so a checkpoint can save and restore them. */
const SLOTS = ['m', 'v', 'step'] as const;
type Slot = (typeof SLOTS)[number];
const slotName = (param: string, slot: Slot) => `${param}/adamw/${slot}`;
const SLOT_RE = /^(.+)\/adamw\/(m|v|step)$/;

interface ParamState {
  m: tf.Variable;
  v: tf.Variable;
  step: tf.Variable<tf.Rank.R0>; // mirror of `t`, for checkpoints
  t: number; // updates applied to this parameter: bias correction is per parameter
}

/**
 * AdamW (Loshchilov & Hutter 2019), bias-corrected, with PyTorch's update order and decay scaling:
 *   p ← p·(1 - lr·λ)   (only where decays(name))
 *   m ← β1·m + (1 - β1)·g;   v ← β2·v + (1 - β2)·g²
 *   p ← p - lr · (m / (1 - β1^t)) / (√(v / (1 - β2^t)) + ε)
 * State is per parameter and created on its first gradient; t counts that parameter's own updates, so a
 * parameter frozen in an earlier stage starts with a fresh bias correction. Parameters absent from `grads`
 * are not touched at all (no decay, no moment decay): that is how freezing works.
 */
export class AdamW {
  readonly config: AdamWConfig;
  private readonly params = new Map<string, ParamState>();
  private readonly decayRe: RegExp | undefined;

  constructor(config: z.input<typeof AdamWConfigSchema> = {}, where = 'optimizer') {
    const r = AdamWConfigSchema.safeParse(config);
    if (!r.success) throw new UserError(formatZodError(r.error, where));
    this.config = r.data;
    try {
      this.decayRe = r.data.decayPattern === undefined ? undefined : new RegExp(r.data.decayPattern);
    } catch (e) {
      throw new UserError(
        `${where}.decayPattern: not a valid RegExp (${(e as Error).message}); escape special characters such as '/' or '('`,
      );
    }
  }

  /** Whether weight decay applies to this variable. */
  decays(v: tf.Variable): boolean {
    return this.decayRe ? this.decayRe.test(v.name) : v.rank >= 2;
  }

  /**
   * One update of every variable named in `grads` (keys = variable names, as tf.variableGrads returns them),
   * with every gradient multiplied by `gradScale` first (global-norm clipping passes its coefficient here
   * instead of making scaled copies). The caller still owns `grads` and disposes them.
   */
  step(grads: Record<string, tf.Tensor>, lr: number, gradScale = 1): void {
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`AdamW.step: learning rate must be finite and ≥ 0, got ${lr}`);
    if (!Number.isFinite(gradScale)) throw new Error(`AdamW.step: gradScale must be finite, got ${gradScale}`);
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    for (const [name, g] of Object.entries(grads)) {
      const p = variableNamed(name, 'AdamW.step');
      if (!sameShape(p.shape, g.shape)) {
        throw new Error(`AdamW.step: gradient for '${name}' has shape [${g.shape}] but the variable has [${p.shape}]`);
      }
      const s = this.params.get(name) ?? this.createState(p);
      s.t += 1;
      const bc1 = 1 - beta1 ** s.t;
      const bc2 = 1 - beta2 ** s.t;
      const decay = weightDecay > 0 && this.decays(p) ? lr * weightDecay : 0;
      tf.tidy(() => {
        s.step.assign(tf.scalar(s.t));
        if (onWasmFloat32([p, g, s.m, s.v])) {
          const fresh = adamWOnHeap(p, g, s.m, s.v, { beta1, beta2, epsilon, lr, bc1, bc2, decay, gradScale });
          if (fresh) {
            s.m.assign(fresh[1]);
            s.v.assign(fresh[2]);
            p.assign(fresh[0]);
          }
          return;
        }
        const gs = gradScale === 1 ? g : tf.mul(g, gradScale);
        const m = tf.add(tf.mul(s.m, beta1), tf.mul(gs, 1 - beta1));
        const v = tf.add(tf.mul(s.v, beta2), tf.mul(tf.square(gs), 1 - beta2));
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), epsilon));
        const decayed = decay ? tf.mul(p, 1 - decay) : p;
        s.m.assign(m);
        s.v.assign(v);
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    }
  }

  /** Updates applied so far to one parameter (0 if it never had a gradient). */
  stepCount(name: string): number {
    return this.params.get(name)?.t ?? 0;
  }

  /**
   * The optimizer slots by name: `<param>/adamw/m`, `<param>/adamw/v`, `<param>/adamw/step`. These are
   * the optimizer's own variables: read or save them, do not dispose them.
   */
  state(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [name, s] of this.params) {
      out[slotName(name, 'm')] = s.m;
      out[slotName(name, 'v')] = s.v;
      out[slotName(name, 'step')] = s.step;
    }
    return out;
  }

  /**
   * Restores slots saved by state() (e.g. from a checkpoint): values are copied, the caller keeps owning
   * `state`. Keys that are not AdamW slots are ignored (a checkpoint also holds the model's weights).
   */
  loadState(state: Record<string, tf.Tensor>, where = 'optimizer state'): void {
    const byParam = new Map<string, Partial<Record<Slot, tf.Tensor>>>();
    for (const [key, t] of Object.entries(state)) {
      const m = SLOT_RE.exec(key);
      if (!m) continue;
      const slots = byParam.get(m[1]!) ?? {};
      slots[m[2] as Slot] = t;
      byParam.set(m[1]!, slots);
    }
    for (const [name, slots] of byParam) {
      const missing = SLOTS.filter((k) => !slots[k]);
      if (missing.length)
        throw new UserError(
          `${where}: '${name}' lacks ${missing.map((k) => `'${slotName(name, k)}'`).join(', ')}; the checkpoint is incomplete`,
        );
      const p = tf.engine().registeredVariables[name];
      if (!p)
        throw new UserError(
          `${where}: '${slotName(name, 'm')}' belongs to a variable '${name}' this model does not have; was it saved from another model?`,
        );
      for (const k of ['m', 'v'] as const) {
        if (!sameShape(slots[k]!.shape, p.shape)) {
          throw new UserError(
            `${where}: '${slotName(name, k)}' has shape [${slots[k]!.shape}] but '${name}' has [${p.shape}]`,
          );
        }
      }
      const t = slots.step!.dataSync()[0]!;
      if (slots.step!.size !== 1 || !Number.isInteger(t) || t < 0) {
        throw new UserError(
          `${where}: '${slotName(name, 'step')}' must be one integer ≥ 0, got [${slots.step!.dataSync().join(', ')}]`,
        );
      }
      const s = this.params.get(name) ?? this.createState(p);
      tf.tidy(() => {
        s.m.assign(tf.cast(slots.m!, 'float32'));
        s.v.assign(tf.cast(slots.v!, 'float32'));
        s.step.assign(tf.scalar(t));
      });
      s.t = t;
    }
  }

  /** Frees every slot variable. */
  dispose(): void {
    for (const s of this.params.values()) {
      s.m.dispose();
      s.v.dispose();
      s.step.dispose();
    }
    this.params.clear();
  }

  private createState(p: tf.Variable): ParamState {
    const make = (slot: Slot, init: () => tf.Tensor) => {
      const name = slotName(p.name, slot);
      if (tf.engine().registeredVariables[name]) {
        throw new Error(
          `AdamW: variable '${name}' already exists; dispose the previous optimizer over these parameters first`,
        );
      }
      return tf.tidy(() => tf.variable(init(), false, name));
    };
    const s: ParamState = {
      m: make('m', () => tf.zerosLike(p)),
      v: make('v', () => tf.zerosLike(p)),
      step: make('step', () => tf.scalar(0)) as tf.Variable<tf.Rank.R0>,
      t: 0,
    };
    this.params.set(p.name, s);
    return s;
  }
}

function variableNamed(name: string, where: string): tf.Variable {
  const v = tf.engine().registeredVariables[name];
  if (!v)
    throw new Error(
      `${where}: no variable named '${name}' (gradients must be keyed by variable name, as tf.variableGrads returns them)`,
    );
  return v;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

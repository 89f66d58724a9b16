import * as tf from '@tensorflow/tfjs-core';

/** How a parameter starts. Random inits are seeded per variable (see seedFor), so a model is a function of its seed. */
export type Init =
  | { kind: 'normal'; std: number }
  | { kind: 'glorot' } // normal, std = sqrt(2 / (fanIn + fanOut)), fans from the last two dims
  | { kind: 'he'; fanIn: number } // normal, std = sqrt(2 / fanIn): before a ReLU
  | { kind: 'const'; value: number };

export const zeros: Init = { kind: 'const', value: 0 };
export const ones: Init = { kind: 'const', value: 1 };

/**
 * A 31-bit seed for one variable: FNV-1a of its stable name mixed with the model seed. Each variable draws
 * from its own stream, so adding a module or reordering construction leaves the other variables unchanged.
 */
export function seedFor(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= Math.imul(seed | 0, 0x9e3779b1);
  return (h >>> 0) % 2147483647;
}

/** The initial value of a parameter (a new tensor the caller owns). */
export function initialValue(shape: readonly number[], init: Init, seed: number): tf.Tensor {
  const s = [...shape];
  switch (init.kind) {
    case 'const':
      return tf.fill(s, init.value, 'float32');
    case 'normal':
      return tf.randomNormal(s, 0, init.std, 'float32', seed);
    case 'he':
      return tf.randomNormal(s, 0, Math.sqrt(2 / init.fanIn), 'float32', seed);
    case 'glorot': {
      const fanOut = s[s.length - 1] ?? 1;
      const fanIn = s.length >= 2 ? s[s.length - 2]! : fanOut;
      return tf.randomNormal(s, 0, Math.sqrt(2 / (fanIn + fanOut)), 'float32', seed);
    }
  }
}

/** tfjs variable names are process-global: a second live model gets `name#2`, `name#3`, ... */
function uniqueName(name: string): string {
  const taken = tf.engine().registeredVariables;
  if (!taken[name]) return name;
  for (let n = 2; ; n++) if (!taken[`${name}#${n}`]) return `${name}#${n}`;
}

/** The stable name of a variable made by a ParamScope (`text/layers.0/attn/wq`), without the `#n` suffix. */
export function stableName(v: tf.Variable): string {
  return v.name.replace(/#\d+$/, '');
}

/**
 * Creates the parameters of one model part under a path (`text`, `text/layers.0/attn`). Every variable a
 * scope and its children create is also recorded in the root's list, so the owner can dispose them all.
 */
export class ParamScope {
  private constructor(
    readonly path: string,
    readonly seed: number,
    private readonly all: tf.Variable[],
  ) {}

  static root(path: string, seed: number): ParamScope {
    return new ParamScope(path, seed, []);
  }

  child(name: string): ParamScope {
    return new ParamScope(`${this.path}/${name}`, this.seed, this.all);
  }

  /** A new variable `<path>/<name>`. */
  variable(name: string, shape: readonly number[], init: Init, trainable = true): tf.Variable {
    const full = `${this.path}/${name}`;
    const v = tf.tidy(() =>
      tf.variable(initialValue(shape, init, seedFor(this.seed, full)), trainable, uniqueName(full)),
    );
    this.all.push(v);
    return v;
  }

  /** A new variable `<path>/<name>` holding a copy of `value` (loaded weights). */
  adopt(name: string, value: tf.Tensor, trainable = true): tf.Variable {
    const v = tf.variable(value, trainable, uniqueName(`${this.path}/${name}`));
    this.all.push(v);
    return v;
  }

  /** Every variable created under the root of this scope, in creation order. */
  created(): tf.Variable[] {
    return [...this.all];
  }

  /** Disposes every variable created under the root (idempotent). */
  dispose(): void {
    for (const v of this.all) if (!v.isDisposed) v.dispose();
  }
}

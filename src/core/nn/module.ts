import type * as tf from '@tensorflow/tfjs-core';

/** A model part that owns parameters. `variables()` lists them in a fixed order (checkpoints use it). */
export interface Module {
  variables(): tf.Variable[];
}

/** The variables of several modules, in order. */
export const variablesOf = (...mods: readonly Module[]): tf.Variable[] => mods.flatMap((m) => m.variables());

import type * as tf from '@tensorflow/tfjs-core';
import type { LoadedCheckpoint } from '../checkpoint/checkpoint';
import { MODULES } from '../config/stage';
import { UserError } from '../errors';
import type { LossInstance } from '../loss/loss';
import type { AdamW } from '../optim/adamw';
import type { TrainModel } from '../model/train-model';

/**
 * Stable checkpoint keys for every variable: `model/<module>/<i>` and `loss/<instance>/<i>`. tfjs variable
 * names are process-global (another model in the same process shifts auto-generated names), so a checkpoint
 * never relies on them; optimizer slots are stored as `optim/<key>/adamw/<slot>`.
 */
export interface VariableKeys {
  byKey: Map<string, tf.Variable>;
  keyOfName: Map<string, string>;
}

export function variableKeys(model: TrainModel, losses: ReadonlyMap<string, LossInstance>): VariableKeys {
  const byKey = new Map<string, tf.Variable>();
  for (const m of MODULES) (model.modules[m] ?? []).forEach((v, i) => byKey.set(`model/${m}/${i}`, v));
  [...losses.keys()]
    .sort()
    .forEach((k, j) => losses.get(k)!.variables.forEach((v, i) => byKey.set(`loss/${j}-${k.split('|')[0]}/${i}`, v)));
  const keyOfName = new Map([...byKey].map(([k, v]) => [v.name, k]));
  return { byKey, keyOfName };
}

const OPT_RE = /^(.+)\/adamw\/(m|v|step)$/;

/** Every variable, plus the optimizer's slots when given, by checkpoint key. */
export function checkpointTensors(keys: VariableKeys, optimizer?: AdamW): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = Object.fromEntries(keys.byKey);
  if (optimizer) {
    for (const [name, t] of Object.entries(optimizer.state())) {
      const m = OPT_RE.exec(name)!;
      const key = keys.keyOfName.get(m[1]!);
      if (key) out[`optim/${key}/adamw/${m[2]}`] = t;
    }
  }
  return out;
}

/**
 * Assigns a checkpoint's values to the variables (shapes checked), disposes them, and returns the optimizer
 * slots renamed to the current variables' names, ready for AdamW.loadState (the caller disposes them).
 */
export function restoreTensors(ck: LoadedCheckpoint, keys: VariableKeys): tf.NamedTensorMap {
  const fix =
    "it was written by another model or curriculum; resume with the run's own config.json, or start a new run";
  const missing = [...keys.byKey.keys()].filter((k) => !(k in ck.tensors));
  const extra = Object.keys(ck.tensors).filter((k) => !k.startsWith('optim/') && !keys.byKey.has(k));
  const dispose = () => Object.values(ck.tensors).forEach((t) => t.dispose());
  if (missing.length || extra.length) {
    dispose();
    const what = missing.length
      ? `lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` (+${missing.length - 3})` : ''}`
      : `has unknown ${extra.slice(0, 3).join(', ')}`;
    throw new UserError(`${ck.dir}: checkpoint ${what}; ${fix}`);
  }
  for (const [k, v] of keys.byKey) {
    const t = ck.tensors[k]!;
    if (t.shape.join() !== v.shape.join() || t.dtype !== v.dtype) {
      dispose();
      throw new UserError(
        `${ck.dir}: '${k}' is [${t.shape}] ${t.dtype} in the checkpoint but [${v.shape}] ${v.dtype} in the model; ${fix}`,
      );
    }
  }
  const optim: tf.NamedTensorMap = {};
  const nameOfKey = new Map([...keys.keyOfName].map(([n, k]) => [k, n]));
  for (const [k, t] of Object.entries(ck.tensors)) {
    if (keys.byKey.has(k)) {
      keys.byKey.get(k)!.assign(t);
      t.dispose();
      continue;
    }
    const m = /^optim\/(.+)\/adamw\/(m|v|step)$/.exec(k);
    const name = m ? nameOfKey.get(m[1]!) : undefined;
    if (name) optim[`${name}/adamw/${m![2]}`] = t;
    else t.dispose();
  }
  return optim;
}

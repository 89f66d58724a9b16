import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../../src/core/checkpoint/checkpoint';
import { resolveExperiment } from '../../../src/core/config/experiment';
import { loadExperiment } from '../../../src/core/config/load';
import { bioTagSet } from '../../../src/core/data/bio';
import { createUnifiedModel } from '../../../src/core/model/unified';
import { inspectRun, loadRunModel, modelFingerprint } from '../../../src/core/search/load-run-model';
import { modelSpecParser } from '../../../src/core/model/spec';
import { variableKeys } from '../../../src/core/train/state';
import { createRegistry } from '../../../src/plugins';

const tmp = mkdtempSync(join(tmpdir(), 'unir-load-run-'));
const reg = createRegistry();
const labels = {
  intents: ['find_image', 'find_document', 'set_reminder', 'play_music'],
  slotLabels: ['object', 'time'],
};
let experiment: Record<string, unknown>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const { input, source } = await loadExperiment('smoke', {});
  experiment = resolveExperiment(input, reg, { source, modelSpec: modelSpecParser }).experiment as unknown as Record<
    string,
    unknown
  >;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A run directory whose checkpoint holds the weights of a model built with another seed (+ a loss variable). */
async function fakeRun(name: string, step: number) {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(experiment));
  const trained = await createUnifiedModel(experiment.model, {
    registry: reg,
    seed: 99,
    numIntents: 4,
    numSlotLabels: bioTagSet(labels.slotLabels).length,
  });
  const temperature = tf.variable(tf.scalar(0.07));
  const tensors: tf.NamedTensorMap = {
    ...Object.fromEntries(variableKeys(trained, new Map()).byKey),
    'loss/0-ti/0': temperature,
  };
  await saveCheckpoint(join(dir, 'checkpoints'), step, tensors, { globalStep: step });
  temperature.dispose();
  return { dir, trained };
}

describe('loadRunModel', () => {
  it("rebuilds the run's model with the checkpoint's weights (same embeddings as the saved model), leaking no tensors", async () => {
    const { dir, trained } = await fakeRun('a', 30);
    const info = await inspectRun(dir, reg);
    expect(info).toMatchObject({
      runId: 'a',
      checkpoint: { globalStep: 30 },
      fingerprint: modelFingerprint(experiment.model as Record<string, unknown>, 30),
    });
    const enc = trained.tokenizer.encode(['a dog face', 'Hundegesicht'], ['en', 'de']);
    const emb = (m: typeof trained) => {
      const t = tf.tidy(() => m.encodeQuery(enc, false).embedding);
      const out = t.arraySync();
      t.dispose();
      return out;
    };
    const want = emb(trained);
    const before = tf.memory().numTensors;
    const model = await loadRunModel(info, { registry: reg, ...labels });
    const fresh = await createUnifiedModel(experiment.model, {
      registry: reg,
      seed: 1,
      numIntents: 4,
      numSlotLabels: 5,
    }); // config's seed, untrained
    emb(model).forEach((row, i) => row.forEach((x, d) => expect(x).toBeCloseTo(want[i]![d]!, 5)));
    expect(
      Math.max(
        ...emb(fresh)
          .flat()
          .map((x, j) => Math.abs(x - want.flat()[j]!)),
      ),
    ).toBeGreaterThan(1e-3);
    model.dispose();
    fresh.dispose();
    expect(tf.memory().numTensors).toBe(before);
    trained.dispose();
  });

  it('fingerprints the model spec + step, independent of key order', () => {
    const a = modelFingerprint({ dim: 32, text: { id: 't', layers: 1 } }, 80);
    expect(modelFingerprint({ text: { layers: 1, id: 't' }, dim: 32 }, 80)).toBe(a);
    expect(modelFingerprint({ dim: 32, text: { id: 't', layers: 1 } }, 81)).not.toBe(a);
    expect(modelFingerprint({ dim: 64, text: { id: 't', layers: 1 } }, 80)).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  it('says what to do with a directory that is not a run, or a run without a checkpoint', async () => {
    await expect(inspectRun(join(tmp, 'nope'), reg)).rejects.toThrow(
      `${join(tmp, 'nope')}: not a run directory (no config.json); give a directory 'unir run' created, e.g. runs/<runId>`,
    );
    const dir = join(tmp, 'untrained');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(experiment));
    await expect(inspectRun(dir, reg)).rejects.toThrow(
      `${dir}: no checkpoint in checkpoints/ (the run has not trained a step yet); train it with 'unir run --resume ${dir}' first`,
    );
  });

  it('refuses a checkpoint that does not fit the config, naming the tensor', async () => {
    const { dir, trained } = await fakeRun('b', 10);
    trained.dispose();
    const info = await inspectRun(dir, reg);
    await expect(
      loadRunModel(info, { registry: reg, intents: ['a', 'b'], slotLabels: labels.slotLabels }),
    ).rejects.toThrow(
      /^.*step-00000010: 'model\/nlu\/\d+' is \[\d+,4\] in the checkpoint but \[\d+,2\] in the model; it does not fit .*config\.json \(edited after training, or another dataset's labels\?\); restore the config or train again$/,
    );
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend, initBackend } from '../../src/core/backend';
import { buildUnirStep } from '../../bench/lib/unir-step';

beforeAll(async () => void (await initBackend({ backend: 'wasm', threads: 1, quiet: true })));
afterAll(disposeBackend);

describe('bench stage-3 training step (smoke model)', () => {
  it('trains without growing the tensor count across steps, and frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const bench = await buildUnirStep('smoke');
    expect(bench.shape.params).toBeGreaterThan(0);
    const first = bench.step(); // creates the AdamW slots
    const afterFirst = tf.memory().numTensors;
    const losses = [first];
    for (let i = 0; i < 3; i++) {
      losses.push(bench.step());
      expect(tf.memory().numTensors).toBe(afterFirst);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!); // same batch each step: the loss goes down
    bench.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

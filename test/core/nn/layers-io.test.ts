import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDir, readModelDir } from '../../../src/core/nn';
import { maxAbsDiff, useBackend } from '../../helpers/contract';

let dir: string;
beforeAll(async () => {
  await useBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'unir-layers-io-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('modelDir: a local tfjs model directory as an IOHandler', () => {
  it('saves model.json + weights.bin atomically and loads the same model back', async () => {
    const m = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'relu' }), tfl.layers.dense({ units: 2 })],
    });
    const target = join(dir, 'mlp');
    await m.save(modelDir(target));
    expect(readdirSync(target).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
    await m.save(modelDir(target)); // overwrite in place
    const back = await tfl.loadLayersModel(modelDir(target));
    const x = tf.tensor2d([
      [1, -2, 3, 0.5],
      [0, 1, 0, -1],
    ]);
    const a = m.predict(x) as tf.Tensor;
    const b = back.predict(x) as tf.Tensor;
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose([x, a, b]);
    m.dispose();
    back.dispose();
  });

  it('names the file and the fix when something is missing', () => {
    expect(() => readModelDir(join(dir, 'nope'))).toThrow(
      /nope\/model\.json: no such file; point 'path' at a tfjs model directory/,
    );
    const broken = join(dir, 'broken');
    rmSync(broken, { recursive: true, force: true });
    mkdirSync(broken);
    writeFileSync(
      join(broken, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['w.bin'], weights: [] }] }),
    );
    expect(() => readModelDir(broken)).toThrow(
      /broken\/model\.json: weightsManifest\[0\]\.paths names 'w\.bin', which does not exist next to it/,
    );
    writeFileSync(join(broken, 'model.json'), '{ not json');
    expect(() => readModelDir(broken)).toThrow(/broken\/model\.json: not valid JSON/);
    expect(existsSync(join(broken, 'model.json'))).toBe(true);
  });
});

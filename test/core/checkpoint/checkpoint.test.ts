import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  saveCheckpoint,
  type SnapshotBuffer,
  startCheckpoint,
} from '../../../src/core/checkpoint/checkpoint';
import { initBackend } from '../../../src/core/backend';
import { isUserError } from '../../../src/core/errors';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'unir-ckpt-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tensors = () => ({
  'model/text/0': tf.tensor2d([
    [0.1, -2.5e-7, 3.4028235e38],
    [Number.MIN_VALUE, -0, 1 / 3],
  ]),
  'model/image/0': tf.tensor1d([1, 2, 3], 'int32'),
  'optim/model/text/0/adamw/step': tf.scalar(7),
});

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('checkpoints', () => {
  it('round-trips every tensor bit for bit, with dtype, shape and metadata', async () => {
    const dir = join(tmp, 'rt');
    const src = tensors();
    const meta = { stage: 'stage2', globalStep: 12, sampler: { 'query-nlu': { epoch: 1, cursor: 5 } } };
    const path = await saveCheckpoint(dir, 12, src, meta);
    expect(path).toBe(join(dir, 'step-00000012'));
    expect(readdirSync(path).sort()).toEqual(['model.json', 'weights.bin']);
    const manifest = JSON.parse(readFileSync(join(path, 'model.json'), 'utf8'));
    expect(manifest.weightsManifest[0].paths).toEqual(['weights.bin']);
    const ck = await loadCheckpoint(path);
    expect(ck.meta).toEqual(meta);
    for (const [k, t] of Object.entries(src)) {
      const u = ck.tensors[k]!;
      expect([u.dtype, u.shape]).toEqual([t.dtype, t.shape]);
      const a = t.dataSync();
      const b = u.dataSync();
      expect(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).toEqual(
        new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
      );
    }
    Object.values(src).forEach((t) => t.dispose());
    Object.values(ck.tensors).forEach((t) => t.dispose());
  });

  it('keeps the newest K checkpoints, leaves no temp directories, and loads the latest', async () => {
    const dir = join(tmp, 'keep');
    const src = tensors();
    for (const step of [5, 10, 15, 20]) await saveCheckpoint(dir, step, src, { step }, 2);
    expect(listCheckpoints(dir).map((c) => c.globalStep)).toEqual([15, 20]);
    expect(readdirSync(dir).sort()).toEqual(['step-00000015', 'step-00000020']);
    const latest = await loadLatestCheckpoint(dir);
    expect(latest!.meta).toEqual({ step: 20 });
    Object.values(latest!.tensors).forEach((t) => t.dispose());
    Object.values(src).forEach((t) => t.dispose());
    expect(await loadLatestCheckpoint(join(tmp, 'none'))).toBeUndefined();
  });

  it('reports a corrupt weights file as one line naming the directory and the checkpoint to fall back to', async () => {
    const dir = join(tmp, 'corrupt');
    const src = tensors();
    await saveCheckpoint(dir, 1, src, {});
    const bad = await saveCheckpoint(dir, 2, src, {});
    Object.values(src).forEach((t) => t.dispose());
    const bin = readFileSync(join(bad, 'weights.bin'));
    bin[3] = bin[3]! ^ 0xff;
    writeFileSync(join(bad, 'weights.bin'), bin);
    const e = await errorOf(loadLatestCheckpoint(dir));
    expect(isUserError(e)).toBe(true);
    expect(e.message).toBe(
      `${bad}: unreadable checkpoint: weights.bin does not match its sha256 (corrupted); delete it ('rm -r ${bad}') to resume from step-00000001`,
    );
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('names a missing or truncated file, and a directory that is not a checkpoint', async () => {
    const dir = join(tmp, 'broken');
    const src = tensors();
    const path = await saveCheckpoint(dir, 3, src, {});
    Object.values(src).forEach((t) => t.dispose());
    writeFileSync(join(path, 'weights.bin'), readFileSync(join(path, 'weights.bin')).subarray(0, 10));
    expect((await errorOf(loadCheckpoint(path))).message).toMatch(
      /^.*step-00000003: unreadable checkpoint: weights.bin has 10 bytes, the manifest says \d+; delete this directory/,
    );
    rmSync(join(path, 'model.json'));
    expect((await errorOf(loadCheckpoint(path))).message).toContain('unreadable checkpoint: model.json is missing');
    writeFileSync(join(path, 'model.json'), '{"format": "something-else"}');
    expect((await errorOf(loadCheckpoint(path))).message).toContain(
      'model.json is not a unir-checkpoint/1 manifest (format "something-else")',
    );
    writeFileSync(join(path, 'model.json'), '{not json');
    expect((await errorOf(loadCheckpoint(path))).message).toContain('model.json is not valid JSON');
    expect(existsSync(path)).toBe(true);
  });

  it('a SnapshotBuffer is reused from save to save: each file holds its own checkpoint, whether larger or smaller', async () => {
    await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    const dir = join(tmp, 'reuse');
    const big = { ...tensors(), 'optim/m': tf.range(0, 1000, 1, 'float32') };
    const small = tensors();
    const buffer: SnapshotBuffer = {};
    const files: Uint8Array[] = [];
    let first: Uint8Array | undefined;
    for (const [step, src] of [
      [1, big],
      [2, small],
      [3, big],
    ] as const) {
      const w = await startCheckpoint(dir, step, src, { step }, Infinity, buffer);
      first ??= buffer.bytes;
      await w.written;
      files.push(new Uint8Array(readFileSync(join(w.dir, 'weights.bin'))));
      const ck = await loadCheckpoint(w.dir); // its sha256 checked
      expect(Object.keys(ck.tensors)).toEqual(Object.keys(src));
      Object.values(ck.tensors).forEach((t) => t.dispose());
    }
    expect(buffer.bytes).toBe(first); // one buffer, allocated for the largest
    expect(buffer.bytes!.byteLength).toBe(files[0]!.byteLength);
    const want = async (src: tf.NamedTensorMap) =>
      new Uint8Array(tf.io.CompositeArrayBuffer.join((await tf.io.encodeWeights(src)).data));
    expect(files[0]).toEqual(await want(big));
    expect(files[1]).toEqual(await want(small)); // not the larger one's bytes past its end
    expect(files[2]).toEqual(files[0]);
    Object.values(big).forEach((t) => t.dispose());
    Object.values(small).forEach((t) => t.dispose());
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend}: startCheckpoint copies the values at once (training on does not change the file); tf.io's layout`, async () => {
      await initBackend({ backend, threads: 1, quiet: true });
      const dir = join(tmp, `async-${backend}`);
      const src = {
        ...tensors(),
        'model/text/1': tf.variable(
          tf.tensor2d([
            [1.5, -0, 2],
            [3, 4, 5],
          ]),
          true,
        ),
      };
      const before = await tf.io.encodeWeights(src); // what saveCheckpoint wrote through tf.io before
      const w = await startCheckpoint(dir, 9, src, { step: 9 });
      (src['model/text/1'] as tf.Variable).assign(tf.zeros([2, 3])); // the next step, while the files are written
      const meta = { step: 9 };
      expect(await w.written).toBe(join(dir, 'step-00000009'));
      expect(w.dir).toBe(join(dir, 'step-00000009'));
      const bin = readFileSync(join(w.dir, 'weights.bin'));
      expect(new Uint8Array(bin)).toEqual(new Uint8Array(tf.io.CompositeArrayBuffer.join(before.data)));
      expect(JSON.parse(readFileSync(join(w.dir, 'model.json'), 'utf8')).weightsManifest[0].weights).toEqual(
        before.specs,
      );
      const ck = await loadCheckpoint(w.dir);
      expect(ck.meta).toEqual(meta);
      expect(Array.from(ck.tensors['model/text/1']!.dataSync())).toEqual([1.5, -0, 2, 3, 4, 5]);
      expect(readdirSync(dir)).toEqual(['step-00000009']); // no temp directory left
      Object.values(src).forEach((t) => t.dispose());
      Object.values(ck.tensors).forEach((t) => t.dispose());
      await tf.setBackend('cpu');
    });
  }
});

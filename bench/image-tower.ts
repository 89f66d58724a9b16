// The image tower alone: forward + backward of paper-three-stage's image encoder (image-cnn) on one batch of
// stage 1's image count, unir (wasm, each thread count in its own process) beside the same network in PyTorch
// (bench/torch-image-tower.py, as many torch threads, 1 BLAS thread). Run: node bin/run-ts.mjs bench/image-tower.ts [--json]
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { runChild } from './lib/child';
import { machine, machineLine } from './lib/machine';
import { runPython } from './lib/python';
import { formatTable } from './lib/table';
import { stage1Images } from './lib/unir-step';
import { allThreads } from './train-step';

interface Shape {
  batch: number;
  imageSize: number;
  channels: number[];
  kernel: number;
  dim: number;
}
interface Result {
  threads: number;
  msPerStep: number;
  gflops: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STEPS = 20;

/** paper-three-stage's image encoder and stage 1's images per batch (its image–caption share of the batch). */
async function shape(): Promise<Shape> {
  const { experiment: e, images } = await stage1Images('paper');
  if (!images) throw new Error("bench/image-tower.ts: paper-three-stage's stage 1 has no image-caption pairs");
  const img = e.model.image as unknown as { id: string; imageSize: number; channels: number[]; kernel: number };
  if (img.id !== 'image-cnn')
    throw new Error(`bench/image-tower.ts: paper-three-stage's image tower is ${img.id}, not image-cnn`);
  return {
    batch: images,
    imageSize: img.imageSize,
    channels: img.channels,
    kernel: img.kernel,
    dim: e.model.dim as number,
  };
}

/** Child: one thread count. */
async function child(s: Shape, threads: number): Promise<Result> {
  const { initBackend } = await import('../src/core/backend');
  await import('../src/core/nn/gradients');
  const { registry } = await import('../src/plugins');
  await initBackend({ backend: 'wasm', threads, quiet: true });
  const { batch: B, imageSize: S } = s;
  const enc = registry().create(
    'encoder',
    'image-cnn',
    { imageSize: S, channels: s.channels, kernel: s.kernel },
    { scope: 'image', seed: 1, dim: s.dim },
  ) as import('../src/core/model/encoder').ImageEncoder;
  const x = tf.randomUniform([B, S, S, 3]) as tf.Tensor4D;
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(enc.encode(x, { training: true })) as tf.Scalar,
        enc.variables(),
      );
      value.dataSync();
      for (const g of Object.values(grads)) g.dataSync();
    });
  for (let i = 0; i < 3; i++) step();
  const ts: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    step();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  const ms = ts[STEPS >> 1]!;
  // forward, filter gradients and input gradients, less the first layer's input gradient (the images are data:
  // neither unir nor PyTorch computes it)
  const firstDx = 2 * B * S * S * s.kernel ** 2 * 3 * s.channels[0]!;
  return { threads, msPerStep: ms, gflops: (3 * enc.flops([B]) - firstDx) / ms / 1e6 };
}

async function main(argv: string[]) {
  if (argv[0] === '--child') {
    console.log(JSON.stringify(await child(JSON.parse(argv[1]!) as Shape, Number(argv[2]))));
    return;
  }
  const s = await shape();
  const threads = [...new Set([1, allThreads()])];
  const rows = threads.map((t) => {
    const u = runChild<Result>(fileURLToPath(import.meta.url), ['--child', JSON.stringify(s), String(t)]);
    const r = runPython(`${ROOT}bench/torch-image-tower.py`, ['--shape', JSON.stringify(s), '--threads', String(t)], 1);
    const last = r.stdout?.trim().split('\n').at(-1) ?? '';
    const torchMs =
      r.status === 0 && last.startsWith('{') ? (JSON.parse(last) as { msPerStep: number }).msPerStep : NaN;
    return { ...u, torchMs, ratio: u.msPerStep / torchMs };
  });
  if (argv.includes('--json')) {
    for (const r of rows) console.log(JSON.stringify({ bench: 'image-tower', shape: s, ...r, machine: machine() }));
    return;
  }
  console.log(machineLine(machine()));
  console.log(
    `image-cnn ${s.imageSize}×${s.imageSize}, channels ${s.channels.join('-')}, ${s.kernel}×${s.kernel}, D ${s.dim}; batch ${s.batch}; forward + backward`,
  );
  console.log(
    formatTable(
      ['threads', 'unir ms', 'PyTorch ms', 'unir/PyTorch', 'unir GFLOP/s'],
      rows.map((r) => [
        r.threads,
        r.msPerStep.toFixed(1),
        r.torchMs.toFixed(1),
        r.ratio.toFixed(2),
        r.gflops.toFixed(1),
      ]),
    ),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));

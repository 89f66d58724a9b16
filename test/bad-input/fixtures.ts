import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

/** The valid manifest fixture (images, captions, chunks, queries in train and test). */
export const VALID = 'test/fixtures/manifests/valid';

/** A copy of the valid fixture in `dir`, with record line `line` (1-based) replaced by `patch(record)`. */
export function manifestWith(dir: string, line?: number, patch?: (rec: Record<string, unknown>) => unknown): string {
  cpSync(VALID, dir, { recursive: true });
  const file = join(dir, 'manifest.jsonl');
  if (line !== undefined && patch) {
    const lines = readFileSync(file, 'utf8').split('\n');
    const out = patch(JSON.parse(lines[line - 1]!) as Record<string, unknown>);
    lines[line - 1] = typeof out === 'string' ? out : JSON.stringify(out);
    writeFileSync(file, lines.join('\n'));
  }
  return file;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A well-formed PNG header that declares width × height RGB pixels with almost no pixel data: what a
 * decompression bomb looks like to a decoder that checks the declared size first.
 */
export function declaredPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The first bytes of a valid PNG: a file cut off mid-download. */
export function truncatedPng(from: string): Buffer {
  return readFileSync(from).subarray(0, 40);
}

/** A tiny experiment (smoke's model, one step per stage) on a manifest dataset, as JSON. */
export function manifestExperiment(dir: string, manifest: string, dataset: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'experiment.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        id: 'corpus',
        data: { dataset: { id: 'manifest', path: manifest, ...dataset }, batchSize: 4, evalSplit: 'test' },
        model: {
          dim: 16,
          tokenizer: { id: 'word-ngram', buckets: 512, pieces: 4, maxLength: 12 },
          text: { id: 'text-transformer', hidden: 16, layers: 1, heads: 2 },
          image: { id: 'image-vit', imageSize: 16, patchSize: 4, hidden: 16, layers: 1, heads: 2 },
          nlu: { id: 'nlu-transformer', hidden: 16, layers: 1, heads: 2 },
          fusion: { id: 'cross-attention', heads: 2 },
        },
        curriculum: { id: 'three-stage', steps: { stage1: 1, stage2: 1, stage3: 1 } },
      },
      null,
      2,
    ),
  );
  return file;
}

/** A copy of the valid fixture in `dir` with every record passed through `edit` (null drops it; the header included). */
export function manifestEdited(
  dir: string,
  edit: (rec: Record<string, unknown>) => Record<string, unknown> | null,
): string {
  cpSync(VALID, dir, { recursive: true });
  const file = join(dir, 'manifest.jsonl');
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const out = lines
    .map((l) => edit(JSON.parse(l) as Record<string, unknown>))
    .filter((r): r is Record<string, unknown> => r !== null);
  writeFileSync(file, `${out.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return file;
}

/** Broken plugins a user might write, each registered by a .ts experiment that uses it (smoke-sized, no observers). */
export type BrokenPlugin = 'loss-not-scalar' | 'loss-nan' | 'fusion-shape' | 'image-nan' | 'text-int';

/**
 * `dir/experiment.ts`: registers one broken plugin in the CLI's registry and trains the manifest `manifest` with it
 * (one step per stage; the loss replaces stage1's 'ti', the fusion and the encoder are the model's).
 */
export function brokenPluginExperiment(dir: string, manifest: string, broken: BrokenPlugin, repo: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'experiment.ts');
  const plugin: Record<BrokenPlugin, string> = {
    'loss-not-scalar': `registry().register(defineLoss({ id: 'row-loss', summary: 'forgets to average its rows', needs: ['a', 'b'], mainTerm: 'rowLoss', configSchema: z.strictObject({}),
  create: () => ({ variables: [], dispose() {}, compute: (f) => ({ rowLoss: tf.tidy(() => tf.neg(tf.sum(tf.mul(f.a!, f.b!), 1))) as tf.Scalar }) }) }));`,
    'loss-nan': `registry().register(defineLoss({ id: 'log-loss', summary: 'takes the log of a negative number', needs: ['a', 'b'], mainTerm: 'logLoss', configSchema: z.strictObject({}),
  create: () => ({ variables: [], dispose() {}, compute: (f) => ({ logLoss: tf.tidy(() => tf.mean(tf.log(tf.sub(tf.sum(tf.mul(f.a!, f.b!), 1), 2)))) as tf.Scalar }) }) }));`,
    'fusion-shape': `registry().register(defineFusion({ id: 'half-fusion', summary: 'returns half of the embedding', configSchema: z.strictObject({}),
  create: (_c, ctx) => ({ usesNlu: true, late: (e) => tf.tidy(() => tf.slice(e, [0, 0], [-1, ctx.dim / 2])) as tf.Tensor2D, variables: () => [], flops: () => 0, dispose() {} }) }));`,
    'image-nan': `registry().register(defineEncoder({ id: 'nan-image', modality: 'image', summary: 'divides by zero', configSchema: z.strictObject({ imageSize: z.number().default(16) }),
  create: (c, ctx) => ({ modality: 'image' as const, dim: ctx.dim, imageSize: c.imageSize, encode: (x: tf.Tensor4D) => tf.tidy(() => tf.div(tf.zeros([x.shape[0], ctx.dim]), tf.zeros([x.shape[0], ctx.dim]))) as tf.Tensor2D,
    variables: () => [], flops: () => 0, dispose() {} }) }));`,
    'text-int': `registry().register(defineEncoder({ id: 'int-text', modality: 'text', summary: 'returns token counts, not an embedding', configSchema: z.strictObject({}),
  create: (_c, ctx) => ({ modality: 'text' as const, dim: ctx.dim, hidden: 16, encode: (b: { batch: number }) => ({ embedding: tf.ones([b.batch, ctx.dim], 'int32') as tf.Tensor2D }),
    variables: () => [], flops: () => 0, dispose() {} }) }));`,
  };
  const model = {
    dim: 16,
    tokenizer: { id: 'word-ngram', buckets: 512, pieces: 4, maxLength: 12 },
    text: broken === 'text-int' ? { id: 'int-text' } : { id: 'text-transformer', hidden: 16, layers: 1, heads: 2 },
    image:
      broken === 'image-nan'
        ? { id: 'nan-image' }
        : { id: 'image-vit', imageSize: 16, patchSize: 4, hidden: 16, layers: 1, heads: 2 },
    nlu: { id: 'nlu-transformer', hidden: 16, layers: 1, heads: 2 },
    fusion: broken === 'fusion-shape' ? { id: 'half-fusion' } : { id: 'cross-attention', heads: 2 },
  };
  const loss = broken === 'loss-not-scalar' ? 'row-loss' : broken === 'loss-nan' ? 'log-loss' : undefined;
  const curriculum =
    broken === 'fusion-shape'
      ? { id: 'single-stage', steps: { stage1: 1, stage2: 1, stage3: 1 } }
      : {
          id: 'three-stage',
          steps: { stage1: 1, stage2: 1, stage3: 1 },
          ...(loss ? { stages: { stage1: { terms: [{ name: 'ti', loss, pair: 'image-caption' }] } } } : {}),
        };
  const experiment = {
    id: 'broken',
    data: { dataset: { id: 'manifest', path: manifest }, batchSize: 4, evalSplit: 'test' },
    model,
    curriculum,
    observers: [],
  };
  const at = (p: string) => JSON.stringify(join(repo, p));
  writeFileSync(
    file,
    [
      `import * as tf from ${at('node_modules/@tensorflow/tfjs-core')};`,
      `import { z } from ${at('node_modules/zod')};`,
      `import { registry } from ${at('src/plugins')};`,
      `import { defineLoss } from ${at('src/core/loss/loss')};`,
      `import { defineFusion } from ${at('src/core/model/fusion')};`,
      `import { defineEncoder } from ${at('src/core/model/encoder')};`,
      plugin[broken],
      `export default ${JSON.stringify(experiment, null, 2)};`,
      '',
    ].join('\n'),
  );
  return file;
}

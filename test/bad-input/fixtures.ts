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
  writeFileSync(file, JSON.stringify({
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
  }, null, 2));
  return file;
}

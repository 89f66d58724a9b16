// Writes the tiny pretrained-model fixtures of test/fixtures/pretrained/ (committed; a test checks they match this
// script): ONNX text and image encoders of a few nodes with seeded weights (test/helpers/onnx-writer.ts), the
// WordPiece tokenizer.json of test/fixtures/tokenizers, and a preprocessor_config.json. No Python, no downloads.
//   node bin/run-ts.mjs scripts/make-pretrained-fixtures.ts
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../src/core/paths';
import { imageEncoderGraph, textEncoderGraph, writeOnnx } from '../test/helpers/onnx-writer';

export const FIXTURES = repoPath('test', 'fixtures', 'pretrained');
/** text-onnx: vocabulary of the tokenizer (34 WordPiece tokens), H = 8, weights seed 1. */
export const TEXT = { V: 34, H: 8, seed: 1 } as const;
/** image-onnx: 8×8 NCHW input, F = 6, weights seed 5, mean 0.5 / std 0.25. */
export const IMAGE = { S: 8, F: 6, seed: 5, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } as const;

/** The fixture files, by path relative to test/fixtures/pretrained. */
export function fixtureFiles(): Record<string, Uint8Array | string> {
  return {
    'text-onnx/model.onnx': writeOnnx(textEncoderGraph(TEXT.V, TEXT.H, TEXT.seed).graph),
    'image-onnx/model.onnx': writeOnnx(imageEncoderGraph(IMAGE.S, IMAGE.F, IMAGE.seed).graph),
    'image-onnx/preprocessor_config.json': `${JSON.stringify({ crop_size: { height: IMAGE.S, width: IMAGE.S }, image_mean: IMAGE.mean, image_std: IMAGE.std }, null, 2)}\n`,
  };
}

function main(): void {
  for (const [rel, data] of Object.entries(fixtureFiles())) {
    mkdirSync(join(FIXTURES, rel, '..'), { recursive: true });
    writeFileSync(join(FIXTURES, rel), data);
  }
  copyFileSync(
    repoPath('test', 'fixtures', 'tokenizers', 'wordpiece-tiny.json'),
    join(FIXTURES, 'text-onnx', 'tokenizer.json'),
  );
  console.log(`wrote ${FIXTURES}`);
}

if (process.argv[1]?.endsWith('make-pretrained-fixtures.ts')) main();

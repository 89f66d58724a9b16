import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import { UserError } from '../errors';
import { pluginDefiner, type Plugin } from '../registry/plugin';
import type { EncodedBatch, Tokenizer } from '../text/tokenizer';

/**
 * Encoder plugins (kind 'encoder'). Three modalities share the kind: `text` (EncodedBatch → (B, D)), `image`
 * ((B, S, S, 3) in [0, 1] → (B, D)) and `nlu` (EncodedBatch → intent/slot logits + features). Embeddings
 * are L2-normalised. Every call runs inside its own tf.tidy and the caller owns what it returns; the
 * encoder owns its variables until dispose().
 */
export type Modality = 'text' | 'image' | 'nlu';

/** What the tokenizer tells an encoder: the shape of its embedding table and of its batches. */
export type TokenizerInfo = Pick<Tokenizer, 'vocabSize' | 'pieces' | 'maxLength' | 'padId' | 'clsId'>;

export interface EncoderCtx {
  /** Variable-name prefix: `text` → `text/layers.0/attn/wq`. */
  scope: string;
  /** Seed of the initial parameters. */
  seed: number;
  /** D, the shared embedding width (text and image encoders project to it). */
  dim: number;
  /** Config path for error messages, e.g. `model.text`. */
  where?: string;
  /** Text and NLU encoders: the tokenizer's table and batch shape. */
  tokenizer?: TokenizerInfo;
  /** NLU encoders: I intents and S BIO slot labels, from the dataset. */
  numIntents?: number;
  numSlotLabels?: number;
}

/**
 * Early fusion hook: maps the text encoder's token states after embedding + positions, before its layers.
 * tokenStates (B, T, H), mask (B, T) → (B, T, H).
 */
export type FuseHook = (tokenStates: tf.Tensor3D, mask: tf.Tensor2D) => tf.Tensor3D;

export interface TextEncodeOptions {
  training: boolean;
  fuse?: FuseHook;
  /** Also return the final token states. */
  tokens?: boolean;
}

export interface TextEncodeManyOptions {
  training: boolean;
  /** Per batch: the fuse hook of its encode call (TextEncodeOptions.fuse), or undefined. */
  fuse?: readonly (FuseHook | undefined)[];
}

export interface TextEncoding {
  embedding: tf.Tensor2D; // (B, D), unit rows
  tokens?: tf.Tensor3D; // (B, T, H) when asked
}

export interface NluOutput {
  tokenStates: tf.Tensor3D; // (B, T, H)
  intentLogits: tf.Tensor2D; // (B, I)
  slotLogits: tf.Tensor3D; // (B, T, S): BIO labels, read at first-piece tokens
  semantic: tf.Tensor2D; // (B, H) pooled + projected
  intentEmbedding: tf.Tensor2D; // (B, H) = softmax(intentLogits) · E_intent
}

interface EncoderBase {
  readonly modality: Modality;
  /** Trainable variables in a fixed order (freezing, checkpoints). */
  variables(): tf.Variable[];
  /**
   * Forward FLOPs (2 per multiply-add, matMuls/convs/attention only) for an input batch shape: text/nlu
   * [B, T], image [B, S, S, 3]. A training step costs about 3× this.
   */
  flops(batchShape: readonly number[]): number;
  dispose(): void;
}

export interface TextEncoder extends EncoderBase {
  readonly modality: 'text';
  readonly dim: number; // D
  readonly hidden: number; // H of the token states (the fuse hook sees (B, T, H))
  encode(batch: EncodedBatch, opts: TextEncodeOptions): TextEncoding;
  /**
   * Optional: the embeddings of several batches, equal to `encode(batches[i], opts).embedding` called on each in
   * turn, values and gradients to the bit (the trainer encodes a step's texts in one call when every text pass of
   * the step is a plain one). An encoder may run them as one set of rows (text-transformer).
   */
  encodeMany?(batches: readonly EncodedBatch[], opts: TextEncodeManyOptions): tf.Tensor2D[];
}

export interface ImageEncoder extends EncoderBase {
  readonly modality: 'image';
  readonly dim: number; // D
  readonly imageSize: number; // S
  /**
   * `meanwhile` (training steps, nn/defer.ts withMeanwhile): the step's text passes, which read nothing of this pass.
   * An encoder may call it once, after queueing the first part of its pass for a worker (deferForward) and before
   * reading that part's output, so that the two run at once, and outside its own tf.tidy scopes (the tensors it makes
   * are the caller's); when it does not, the caller runs it after encode.
   */
  encode(images: tf.Tensor4D, opts: { training: boolean; meanwhile?: () => void }): tf.Tensor2D;
}

export interface NluEncoder extends EncoderBase {
  readonly modality: 'nlu';
  readonly hidden: number; // H of tokenStates / semantic / intentEmbedding
  readonly numIntents: number;
  readonly numSlotLabels: number;
  encode(batch: EncodedBatch, opts: { training: boolean }): NluOutput;
  /** Optional: `encode` of each batch in turn, in one call, values and gradients to the bit (as TextEncoder's). */
  encodeMany?(batches: readonly EncodedBatch[], opts: { training: boolean }): NluOutput[];
}

export type Encoder = TextEncoder | ImageEncoder | NluEncoder;
export type EncoderOf<M extends Modality> = Extract<Encoder, { modality: M }>;

/** An encoder plugin: a plugin whose `modality` says which slot of the model it fills. May load asynchronously. */
export type EncoderPlugin<S extends z.ZodType = z.ZodType, M extends Modality = Modality> = Plugin<
  'encoder',
  S,
  EncoderCtx,
  EncoderOf<M> | Promise<EncoderOf<M>>
> & {
  readonly modality: M;
};

const base = pluginDefiner('encoder')<EncoderCtx, Encoder | Promise<Encoder>>();

export function defineEncoder<const Id extends string, S extends z.ZodType, M extends Modality>(
  p: Omit<Plugin<'encoder', S, EncoderCtx, EncoderOf<M> | Promise<EncoderOf<M>>, Id>, 'kind'> & { modality: M },
): EncoderPlugin<S, M> & { readonly id: Id } {
  const { modality, ...rest } = p;
  return Object.freeze({ ...base(rest), modality }) as EncoderPlugin<S, M> & { readonly id: Id };
}

export function isEncoderPlugin(p: { kind: string }): p is EncoderPlugin {
  return p.kind === 'encoder' && typeof (p as { modality?: unknown }).modality === 'string';
}

/** The tokenizer info of a text/NLU encoder's ctx, or a UserError naming the encoder. */
export function requireTokenizer(ctx: EncoderCtx, id: string): TokenizerInfo {
  if (!ctx.tokenizer)
    throw new UserError(
      `${ctx.where ?? 'encoder'}: '${id}' reads token ids and needs the model's tokenizer in its create ctx`,
    );
  return ctx.tokenizer;
}

/** A positive whole number from the ctx (numIntents, numSlotLabels), or a UserError. */
export function requireCount(ctx: EncoderCtx, key: 'numIntents' | 'numSlotLabels', id: string): number {
  const n = ctx[key];
  if (n === undefined || !Number.isInteger(n) || n < 1) {
    throw new UserError(
      `${ctx.where ?? 'encoder'}: '${id}' needs ${key} ≥ 1 from the dataset in its create ctx, got ${n}`,
    );
  }
  return n;
}

/** A UserError unless images is (B, S, S, 3). */
export function checkImages(images: tf.Tensor, size: number, where: string): void {
  const [, h, w, c] = images.shape;
  if (images.rank !== 4 || h !== size || w !== size || c !== 3) {
    throw new UserError(
      `${where}: images of shape [${images.shape}], expected [B, ${size}, ${size}, 3]; set data.imageSize (or the encoder's imageSize) to ${h ?? '?'} so they agree`,
    );
  }
}

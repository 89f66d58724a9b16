import { z } from 'zod';
import { pluginDefiner, type Plugin } from '../registry/plugin';
import { hash32, Rng } from '../rng';

/** A batch of training images, changed in place: (n, S, S, 3) RGB in [0, 1], row-major (y, x, channel). */
export interface ImageBatch {
  data: Float32Array;
  n: number;
  size: number; // S
}

/**
 * One configured augmentation: changes every image of the batch in place, drawing its randomness from `rng` only,
 * in a fixed order, so the same seed gives the same pixels. Runs on typed arrays between the batch assembly and
 * the step (no tensors, no image files).
 */
export type AugmentFn = (batch: ImageBatch, rng: Rng) => void;

export interface AugmentationContext {}

/** An augmentation plugin: `create(config)` returns the function applied per batch. */
export type AugmentationPlugin<S extends z.ZodType = z.ZodType> = Plugin<
  'augmentation',
  S,
  AugmentationContext | undefined,
  AugmentFn
>;

export const defineAugmentation = pluginDefiner('augmentation')<AugmentationContext | undefined, AugmentFn>();

/** A pipeline of augmentations: applied in order; its randomness is seeded per batch by `key` (seed, pair, sampler position). */
export function augmentPipeline(fns: readonly AugmentFn[]): (batch: ImageBatch, key: string) => void {
  return (batch, key) => {
    if (fns.length === 0) return;
    const rng = new Rng(hash32(`augment/${key}`));
    for (const f of fns) f(batch, new Rng(rng.uint32()));
  };
}

/** A config field [low, high], both within [lo, hi], low ≤ high (zoom, aspect, grey level ranges). */
export const rangeSchema = (lo: number, hi: number) =>
  z
    .tuple([z.number().min(lo).max(hi), z.number().min(lo).max(hi)])
    .refine(([a, b]) => a <= b, 'expected [low, high] with low ≤ high');

/** Uniform in [lo, hi). */
export const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng.next();

/** Calls `f(image, i)` for each image i with probability p (one draw per image, always made). */
export function forImages(batch: ImageBatch, rng: Rng, p: number, f: (img: Float32Array, i: number) => void): void {
  const per = batch.size * batch.size * 3;
  for (let i = 0; i < batch.n; i++) {
    const hit = rng.next() < p;
    if (hit) f(batch.data.subarray(i * per, (i + 1) * per), i);
  }
}

/** Image i of the batch, in place. */
export const imageOf = (batch: ImageBatch, i: number) => {
  const per = batch.size * batch.size * 3;
  return batch.data.subarray(i * per, (i + 1) * per);
};

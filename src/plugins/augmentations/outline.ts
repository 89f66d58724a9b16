import { z } from 'zod';
import { defineAugmentation, forImages, imageOf, rangeSchema, uniform } from '../../core/augment/augmentation';
import { augmentOnHeap } from '../../core/augment/on-heap';

/**
 * Draws dark outlines where colour changes: a pixel whose largest per-channel difference to its right or lower
 * neighbour exceeds `threshold` becomes grey level `ink` (R = G = B), drawn at random in [ink[0], ink[1]).
 * Designs differ in whether shapes are outlined (flat fills with black strokes against shaded, unoutlined
 * fills); this shows the model its training images both ways. Edges are found on the image as it comes in.
 */
export const outline = defineAugmentation({
  id: 'outline',
  summary: 'Dark 1-pixel outlines along colour edges (flat outlined drawings), per image with probability p',
  configSchema: z.strictObject({
    p: z.number().min(0).max(1).default(0.3).describe('share of images outlined'),
    threshold: z
      .number()
      .gt(0)
      .max(1)
      .default(0.3)
      .describe('an edge: the largest per-channel difference to the right or lower neighbour above this'),
    ink: rangeSchema(0, 1).default([0, 0.25]).describe('grey level of the outline, drawn per image from [low, high)'),
  }),
  // One raster pass in place: a pixel reads only its right and lower neighbours, which the pass has not inked yet.
  // The inks are drawn first (in image order), then kernels.c aug_outline inks on the wasm heap, else the JS loop.
  create: (cfg) => (batch, rng) => {
    const S = batch.size;
    const ink = new Float64Array(batch.n).fill(-1); // < 0: not outlined
    forImages(batch, rng, cfg.p, (_img, i) => {
      ink[i] = uniform(rng, cfg.ink[0], cfg.ink[1]);
    });
    if (augmentOnHeap(batch, ink, 0, 'aug_outline', (h, i0, i1) => [h.img, h.params, i0, i1, S, cfg.threshold])) return;
    for (let i = 0; i < batch.n; i++) {
      if (ink[i]! < 0) continue;
      const img = imageOf(batch, i);
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const q = (y * S + x) * 3;
          let d = 0;
          for (let c = 0; c < 3; c++) {
            const v = img[q + c]!;
            if (x + 1 < S) d = Math.max(d, Math.abs(v - img[q + 3 + c]!));
            if (y + 1 < S) d = Math.max(d, Math.abs(v - img[q + 3 * S + c]!));
          }
          if (d > cfg.threshold) img[q] = img[q + 1] = img[q + 2] = ink[i]!;
        }
      }
    }
  },
});

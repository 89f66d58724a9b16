import { z } from 'zod';
import { defineAugmentation, forImages, imageOf } from '../../core/augment/augmentation';
import { augmentOnHeap } from '../../core/augment/on-heap';

/** Replaces an image by its grey (mean of R, G, B) with probability p. */
export const grayscale = defineAugmentation({
  id: 'grayscale',
  summary: 'Grey image (mean of R, G, B) with probability p',
  configSchema: z.strictObject({ p: z.number().min(0).max(1).default(0.2).describe('share of images turned grey') }),
  // The images are drawn first, then kernels.c aug_gray on the wasm heap, else the JS loop.
  create: (cfg) => (batch, rng) => {
    const px = batch.size * batch.size;
    const on = new Float64Array(batch.n);
    forImages(batch, rng, cfg.p, (_img, i) => {
      on[i] = 1;
    });
    if (augmentOnHeap(batch, on, 0, 'aug_gray', (h, i0, i1) => [h.img, h.params, i0, i1, batch.size])) return;
    for (let i = 0; i < batch.n; i++) {
      if (!on[i]) continue;
      const img = imageOf(batch, i);
      for (let q = 0; q < px; q++) {
        const g = (img[3 * q]! + img[3 * q + 1]! + img[3 * q + 2]!) / 3;
        img[3 * q] = img[3 * q + 1] = img[3 * q + 2] = g;
      }
    }
  },
});

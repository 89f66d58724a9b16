import { z } from 'zod';
import { defineAugmentation, forImages } from '../../core/augment/augmentation';

/** Replaces an image by its grey (mean of R, G, B) with probability p. */
export const grayscale = defineAugmentation({
  id: 'grayscale',
  summary: 'Grey image (mean of R, G, B) with probability p',
  configSchema: z.strictObject({ p: z.number().min(0).max(1).default(0.2).describe('share of images turned grey') }),
  create: (cfg) => (batch, rng) => {
    const px = batch.size * batch.size;
    forImages(batch, rng, cfg.p, (img) => {
      for (let q = 0; q < px; q++) {
        const g = (img[3 * q]! + img[3 * q + 1]! + img[3 * q + 2]!) / 3;
        img[3 * q] = img[3 * q + 1] = img[3 * q + 2] = g;
      }
    });
  },
});

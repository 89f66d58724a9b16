import { z } from 'zod';
import { defineAugmentation, forImages } from '../../core/augment/augmentation';

/** Paints one random square (side = size·S, inside the image) with `fill` on a share p of the images (DeVries & Taylor 2017). */
export const cutout = defineAugmentation({
  id: 'cutout',
  summary: 'One random square per image painted over (default white, the background)',
  citation: 'DeVries & Taylor, Improved Regularization of Convolutional Neural Networks with Cutout, arXiv 1708.04552',
  configSchema: z.strictObject({
    p: z.number().min(0).max(1).default(0.5).describe('share of images cut'),
    size: z.number().gt(0).max(1).default(0.25).describe('side of the square, fraction of the image side'),
    fill: z.number().min(0).max(1).default(1).describe('grey level painted (1 = white)'),
  }),
  create: (cfg) => (batch, rng) => {
    const S = batch.size;
    const side = Math.max(1, Math.round(cfg.size * S));
    forImages(batch, rng, cfg.p, (img) => {
      const x0 = rng.int(S - side + 1),
        y0 = rng.int(S - side + 1);
      for (let y = y0; y < y0 + side; y++) img.fill(cfg.fill, (y * S + x0) * 3, (y * S + x0 + side) * 3);
    });
  },
});

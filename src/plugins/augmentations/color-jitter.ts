import { z } from 'zod';
import { defineAugmentation, forImages, imageOf, uniform } from '../../core/augment/augmentation';
import { augmentOnHeap } from '../../core/augment/on-heap';

/**
 * Colour jitter per image, in this order: saturation ×U(saturation) around the pixel's grey, hue rotation by
 * U(±hue) of a turn (YIQ chroma plane), a random permutation of R, G, B with probability `channelShuffle`,
 * contrast ×U(1 ± contrast) around 0.5, brightness +U(±brightness); clamped to [0, 1].
 */
export const colorJitter = defineAugmentation({
  id: 'color-jitter',
  summary: 'Random saturation, hue rotation, RGB channel shuffle, contrast and brightness',
  configSchema: z.strictObject({
    p: z.number().min(0).max(1).default(1).describe('share of images changed'),
    saturation: z
      .tuple([z.number().min(0), z.number().min(0)])
      .default([0.2, 1.4])
      .describe('saturation factor range'),
    hue: z.number().min(0).max(0.5).default(0).describe('max hue rotation, fraction of a turn'),
    channelShuffle: z.number().min(0).max(1).default(0.5).describe('probability of permuting R, G, B'),
    contrast: z.number().min(0).max(1).default(0.3),
    brightness: z.number().min(0).max(1).default(0.2),
  }),
  // The draws come first (in image order), then kernels.c aug_jitter on the wasm heap, else the JS loop. Per image
  // 10 values: changed (1/0), saturation, hue angle, its cos and sin, the channel order p0 p1 p2, contrast, brightness.
  create: (cfg) => (batch, rng) => {
    const px = batch.size * batch.size;
    const par = new Float64Array(10 * batch.n);
    forImages(batch, rng, cfg.p, (_img, i) => {
      const sat = uniform(rng, cfg.saturation[0], cfg.saturation[1]);
      const ang = uniform(rng, -cfg.hue, cfg.hue) * 2 * Math.PI;
      const shuffle = rng.next() < cfg.channelShuffle;
      const perm = [0, 1, 2];
      for (let k = 2; k > 0; k--) {
        const j = rng.int(k + 1);
        [perm[k], perm[j]] = [perm[j]!, perm[k]!];
      }
      const con = uniform(rng, 1 - cfg.contrast, 1 + cfg.contrast);
      const bri = uniform(rng, -cfg.brightness, cfg.brightness);
      const [p0, p1, p2] = (shuffle ? perm : [0, 1, 2]) as [number, number, number];
      par.set([1, sat, ang, Math.cos(ang), Math.sin(ang), p0, p1, p2, con, bri], 10 * i);
    });
    if (augmentOnHeap(batch, par, 0, 'aug_jitter', (h, i0, i1) => [h.img, h.params, i0, i1, batch.size])) return;
    for (let i = 0; i < batch.n; i++) {
      if (!par[10 * i]) continue;
      const [sat, ang, ca, sa, p0, p1, p2, con, bri] = par.subarray(10 * i + 1, 10 * i + 10) as unknown as number[];
      const img = imageOf(batch, i);
      // scalars only (no arrays per pixel): the same arithmetic, in the same order, as the formulas above
      for (let q = 0; q < px; q++) {
        const o = q * 3;
        const r0 = img[o]!,
          g0 = img[o + 1]!,
          b0 = img[o + 2]!;
        const grey = (r0 + g0 + b0) / 3;
        let r = grey + (r0 - grey) * sat!,
          g = grey + (g0 - grey) * sat!,
          b = grey + (b0 - grey) * sat!;
        if (ang !== 0) {
          const y = 0.299 * r + 0.587 * g + 0.114 * b;
          const i0 = 0.596 * r - 0.274 * g - 0.322 * b,
            q0 = 0.211 * r - 0.523 * g + 0.312 * b;
          const i1 = i0 * ca! - q0 * sa!,
            q1 = i0 * sa! + q0 * ca!;
          r = y + 0.956 * i1 + 0.621 * q1;
          g = y - 0.272 * i1 - 0.647 * q1;
          b = y - 1.106 * i1 + 1.703 * q1;
        }
        const v0 = p0 === 0 ? r : p0 === 1 ? g : b,
          v1 = p1 === 0 ? r : p1 === 1 ? g : b,
          v2 = p2 === 0 ? r : p2 === 1 ? g : b;
        img[o] = Math.min(1, Math.max(0, (v0 - 0.5) * con! + 0.5 + bri!));
        img[o + 1] = Math.min(1, Math.max(0, (v1 - 0.5) * con! + 0.5 + bri!));
        img[o + 2] = Math.min(1, Math.max(0, (v2 - 0.5) * con! + 0.5 + bri!));
      }
    }
  },
});

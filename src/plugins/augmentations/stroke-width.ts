import { z } from 'zod';
import { defineAugmentation, uniform } from '../../core/augment/augmentation';

/**
 * Thinner or thicker dark strokes (outlines, text) by grey-level morphology over a (2r+1)² window, per channel:
 * a max filter (light spreads: dark strokes thin) with probability `thin`, a min filter (dark spreads: strokes
 * thicken) with probability `thick`, else unchanged. Designs differ most in their outlines; this varies them.
 */
export const strokeWidth = defineAugmentation({
  id: 'stroke-width',
  summary: 'Thinner (max filter) or thicker (min filter) dark strokes, per image at random',
  configSchema: z
    .strictObject({
      thin: z.number().min(0).max(1).default(0.25).describe('probability of thinning'),
      thick: z.number().min(0).max(1).default(0.25).describe('probability of thickening'),
      radius: z.number().int().min(1).max(3).default(1).describe('r: the window is (2r+1)×(2r+1) pixels'),
    })
    .refine((c) => c.thin + c.thick <= 1, { message: 'thin + thick must be ≤ 1' }),
  create: (cfg) => {
    let scratch = new Float32Array(0);
    return (batch, rng) => {
      const S = batch.size,
        r = cfg.radius,
        per = S * S * 3;
      if (scratch.length !== per) scratch = new Float32Array(per);
      for (let i = 0; i < batch.n; i++) {
        const u = uniform(rng, 0, 1);
        const mode = u < cfg.thin ? 1 : u < cfg.thin + cfg.thick ? -1 : 0; // 1: max, -1: min
        if (mode === 0) continue;
        const img = batch.data.subarray(i * per, (i + 1) * per);
        scratch.set(img);
        for (let y = 0; y < S; y++) {
          for (let x = 0; x < S; x++) {
            for (let ch = 0; ch < 3; ch++) {
              let m = scratch[(y * S + x) * 3 + ch]!;
              for (let yy = Math.max(0, y - r); yy <= Math.min(S - 1, y + r); yy++) {
                for (let xx = Math.max(0, x - r); xx <= Math.min(S - 1, x + r); xx++) {
                  const v = scratch[(yy * S + xx) * 3 + ch]!;
                  m = mode > 0 ? Math.max(m, v) : Math.min(m, v);
                }
              }
              img[(y * S + x) * 3 + ch] = m;
            }
          }
        }
      }
    };
  },
});

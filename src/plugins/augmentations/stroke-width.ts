import { z } from 'zod';
import { defineAugmentation, imageOf, uniform } from '../../core/augment/augmentation';
import { augmentOnHeap, type HeapBatch } from '../../core/augment/on-heap';

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
  // The modes are drawn first (in image order), then kernels.c aug_stroke filters on the wasm heap, else the JS loop.
  create: (cfg) => {
    let scratch = new Float32Array(0);
    let rows = new Float32Array(0);
    return (batch, rng) => {
      const S = batch.size,
        r = cfg.radius,
        per = S * S * 3;
      const modes = new Float64Array(batch.n); // 1: max, -1: min, 0: unchanged
      for (let i = 0; i < batch.n; i++) {
        const u = uniform(rng, 0, 1);
        modes[i] = u < cfg.thin ? 1 : u < cfg.thin + cfg.thick ? -1 : 0;
      }
      const kernel = (h: HeapBatch, i0: number, i1: number) => [h.img, ...h.scratch, h.params, i0, i1, S, r];
      if (augmentOnHeap(batch, modes, 2, 'aug_stroke', kernel)) return;
      if (scratch.length !== per) [scratch, rows] = [new Float32Array(per), new Float32Array(per)];
      const [src, mid] = [scratch, rows];
      for (let i = 0; i < batch.n; i++) {
        const mode = modes[i]!;
        if (mode === 0) continue;
        const img = imageOf(batch, i);
        src.set(img);
        // the window's max (min) as the max (min) over its rows of each row's max (min): the same value, exactly
        for (let y = 0; y < S; y++) {
          for (let x = 0; x < S; x++) {
            const x0 = Math.max(0, x - r),
              x1 = Math.min(S - 1, x + r);
            for (let ch = 0; ch < 3; ch++) {
              let m = src[(y * S + x) * 3 + ch]!;
              for (let xx = x0; xx <= x1; xx++) {
                const v = src[(y * S + xx) * 3 + ch]!;
                m = mode > 0 ? Math.max(m, v) : Math.min(m, v);
              }
              mid[(y * S + x) * 3 + ch] = m;
            }
          }
        }
        for (let y = 0; y < S; y++) {
          const y0 = Math.max(0, y - r),
            y1 = Math.min(S - 1, y + r);
          for (let x = 0; x < S; x++) {
            for (let ch = 0; ch < 3; ch++) {
              let m = mid[(y * S + x) * 3 + ch]!;
              for (let yy = y0; yy <= y1; yy++) {
                const v = mid[(yy * S + x) * 3 + ch]!;
                m = mode > 0 ? Math.max(m, v) : Math.min(m, v);
              }
              img[(y * S + x) * 3 + ch] = m;
            }
          }
        }
      }
    };
  },
});

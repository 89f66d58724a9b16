import { z } from 'zod';
import { defineAugmentation, forImages, imageOf, rangeSchema as range, uniform } from '../../core/augment/augmentation';
import { augmentOnHeap } from '../../core/augment/on-heap';

/**
 * Channel `ch` of pixel (yy, xx) of an S×S×3 image; white (1) outside. Module-level: a closure made per pixel
 * costs ≈ 1 ms per 32×32 image under tsx's keepNames (each gets a __name call).
 */
const at = (img: Float32Array, S: number, yy: number, xx: number, ch: number) =>
  yy < 0 || yy >= S || xx < 0 || xx >= S ? 1 : img[(yy * S + xx) * 3 + ch]!;

/**
 * Random resized crop, rotation, shear, translation and horizontal flip as ONE affine resampling (bilinear, white
 * outside the image), so combining them blurs no more than one of them. Per image: zoom z ~ U(scale) (z > 1 crops
 * in, z < 1 shrinks onto white), aspect ratio r ~ log-U(aspect), angle ~ U(±rotation°), shear ~ U(±shear°),
 * shift ~ U(±translate)·S, mirrored with probability flip (off by default: emoji, flags and text are not symmetric).
 */
export const randomAffine = defineAugmentation({
  id: 'random-affine',
  summary: 'Random resized crop + rotation + shear + translation (+ optional flip) in one bilinear resampling',
  configSchema: z.strictObject({
    p: z.number().min(0).max(1).default(1).describe('share of images transformed'),
    scale: range(0.1, 10).default([0.8, 1.2]).describe('zoom range; > 1 crops in'),
    aspect: range(0.2, 5).default([0.9, 1.1]).describe('aspect-ratio range (log-uniform)'),
    rotation: z.number().min(0).max(180).default(15).describe('max rotation, degrees'),
    shear: z.number().min(0).max(45).default(0).describe('max shear, degrees'),
    translate: z.number().min(0).max(0.5).default(0.06).describe('max shift, fraction of the side'),
    flip: z.number().min(0).max(1).default(0).describe('probability of a horizontal mirror'),
  }),
  // The transforms are drawn first (in image order), then kernels.c aug_affine resamples on the wasm heap, else the
  // JS loop. Per image 7 values: transformed (1/0), a, b, d, e, tx, ty.
  create: (cfg) => {
    let scratch = new Float32Array(0);
    return (batch, rng) => {
      const S = batch.size;
      const c = (S - 1) / 2;
      const par = new Float64Array(7 * batch.n);
      forImages(batch, rng, cfg.p, (_img, i) => {
        const z = uniform(rng, cfg.scale[0], cfg.scale[1]);
        const r = Math.exp(uniform(rng, Math.log(cfg.aspect[0]), Math.log(cfg.aspect[1])));
        const th = (uniform(rng, -cfg.rotation, cfg.rotation) * Math.PI) / 180;
        const sh = Math.tan((uniform(rng, -cfg.shear, cfg.shear) * Math.PI) / 180);
        const tx = uniform(rng, -cfg.translate, cfg.translate) * S;
        const ty = uniform(rng, -cfg.translate, cfg.translate) * S;
        const fl = rng.next() < cfg.flip ? -1 : 1;
        // output (u, v) around the centre → input (x, y): inverse of flip, scale (z·√r, z/√r), shear, rotation
        const [cs, sn] = [Math.cos(th), Math.sin(th)];
        const sx = 1 / (z * Math.sqrt(r)),
          sy = Math.sqrt(r) / z;
        par.set([1, cs * sx * fl, (sn + cs * sh) * sy, -sn * sx * fl, (cs - sn * sh) * sy, tx, ty], 7 * i);
      });
      if (augmentOnHeap(batch, par, 1, 'aug_affine', (h, i0, i1) => [h.img, h.scratch[0]!, h.params, i0, i1, S]))
        return;
      if (scratch.length !== S * S * 3) scratch = new Float32Array(S * S * 3);
      for (let i = 0; i < batch.n; i++) {
        if (!par[7 * i]) continue;
        const [a, b, d, e, tx, ty] = par.subarray(7 * i + 1, 7 * i + 7) as unknown as number[];
        const img = imageOf(batch, i);
        scratch.set(img);
        for (let v = 0; v < S; v++) {
          for (let u = 0; u < S; u++) {
            const du = u - c - tx!,
              dv = v - c - ty!;
            const x = a! * du + b! * dv + c,
              y = d! * du + e! * dv + c;
            const x0 = Math.floor(x),
              y0 = Math.floor(y);
            const fx = x - x0,
              fy = y - y0;
            const o = (v * S + u) * 3;
            for (let ch = 0; ch < 3; ch++) {
              const top = at(scratch, S, y0, x0, ch) * (1 - fx) + at(scratch, S, y0, x0 + 1, ch) * fx;
              const bot = at(scratch, S, y0 + 1, x0, ch) * (1 - fx) + at(scratch, S, y0 + 1, x0 + 1, ch) * fx;
              img[o + ch] = top * (1 - fy) + bot * fy;
            }
          }
        }
      }
    };
  },
});

import { z } from 'zod';
import { defineBaseline, groupScoreRetrieval, type BaselineImages } from '../../core/eval/baseline';

/**
 * The floor a trained image tower must beat: no learning, perfect caption understanding plus raw pixels. An image
 * scores group g by its best cosine to g's training images, on mean-centred RGB pixels at size × size (the mean of
 * the training images is subtracted from both sides). A caption of g ranks the split's images by that score; an
 * image ranks captions by their group's score. Groups without training images score −∞ (unseen concepts: rank last).
 */
export const pixelKnn = defineBaseline({
  id: 'pixel-knn',
  summary: "Best cosine to a group's training images on mean-centred raw pixels (no training): the image floor",
  configSchema: z.strictObject({
    size: z.number().int().min(2).max(64).default(16).describe('images compared at size × size'),
  }),
  create: (cfg) => ({
    async compute(inputs) {
      const [train, split] = [await inputs.trainImages(cfg.size), await inputs.splitImages(cfg.size)];
      if (split.ids.length === 0 || train.ids.length === 0) return {};
      const d = cfg.size * cfg.size * 3;
      const mean = new Float64Array(d);
      for (let i = 0; i < train.ids.length; i++) for (let j = 0; j < d; j++) mean[j]! += train.data[i * d + j]!;
      for (let j = 0; j < d; j++) mean[j]! /= train.ids.length;
      const centred = (im: BaselineImages) => {
        const out = new Float64Array(im.ids.length * d);
        for (let i = 0; i < im.ids.length; i++) {
          let norm = 0;
          for (let j = 0; j < d; j++) norm += (out[i * d + j] = im.data[i * d + j]! - mean[j]!) ** 2;
          const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
          for (let j = 0; j < d; j++) out[i * d + j]! *= s;
        }
        return out;
      };
      const [a, b] = [centred(split), centred(train)];
      const groups = [...new Set([...train.groups, ...split.groups, ...inputs.captions.map((c) => c.group)])];
      const gi = new Map(groups.map((g, i) => [g, i]));
      const G = groups.length;
      const scores = new Float64Array(split.ids.length * G).fill(-Infinity);
      const group = Int32Array.from(train.groups, (g) => gi.get(g)!);
      const nt = train.ids.length;
      const best = (i: number, t: number, dot: number) => {
        const at = i * G + group[t]!;
        if (dot > scores[at]!) scores[at] = dot;
      };
      for (let i = 0; i < split.ids.length; i++) {
        const ai = i * d;
        let t = 0;
        // four training images per pass over the split image's row: each dot product still sums j = 0, 1, … in order
        for (; t + 4 <= nt; t += 4) {
          const [b0, b1, b2, b3] = [t * d, (t + 1) * d, (t + 2) * d, (t + 3) * d];
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let j = 0; j < d; j++) {
            const x = a[ai + j]!;
            s0 += x * b[b0 + j]!;
            s1 += x * b[b1 + j]!;
            s2 += x * b[b2 + j]!;
            s3 += x * b[b3 + j]!;
          }
          best(i, t, s0);
          best(i, t + 1, s1);
          best(i, t + 2, s2);
          best(i, t + 3, s3);
        }
        for (; t < nt; t++) {
          let dot = 0;
          for (let j = 0; j < d; j++) dot += a[ai + j]! * b[t * d + j]!;
          best(i, t, dot);
        }
      }
      return groupScoreRetrieval(
        scores,
        G,
        Int32Array.from(split.groups, (g) => gi.get(g)!),
        Int32Array.from(inputs.captions, (c) => gi.get(c.group)!),
        inputs.captions.map((c) => c.lang),
      );
    },
  }),
});

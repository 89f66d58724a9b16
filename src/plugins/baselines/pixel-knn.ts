import { z } from 'zod';
import { dotsF64 } from '../../core/backend/dots-f64';
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
      const dots = dotsF64(a, b, split.ids.length, nt, d); // (split, train), each sum in order over the pixels
      for (let i = 0; i < split.ids.length; i++)
        for (let t = 0; t < nt; t++) {
          const at = i * G + group[t]!;
          if (dots[i * nt + t]! > scores[at]!) scores[at] = dots[i * nt + t]!;
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

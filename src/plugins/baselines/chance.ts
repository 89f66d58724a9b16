import { z } from 'zod';
import { macroMean, type RetrievalScores } from '../../core/eval/ranking';
import { chanceScores, defineBaseline, type BaselineResult } from '../../core/eval/baseline';

/** How many of `xs` have each key (null keys skipped). */
const count = <T>(xs: readonly T[], key: (x: T) => string | null) => {
  const m = new Map<string, number>();
  for (const x of xs) {
    const k = key(x);
    if (k !== null) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
};

/**
 * What a random ranking scores, exactly (no sampling): per query, the expected R@k and MRR given its number of
 * relevant items among the candidates, with the candidates of metrics.retrieval — t2i: captions → the split's images;
 * i2t: images → captions of language L; t2t: queries → chunks of the query's language.
 */
export const chance = defineBaseline({
  id: 'chance',
  summary: 'Expected scores of a random ranking, from the numbers of relevant and candidate items (exact)',
  configSchema: z.strictObject({}),
  create: () => ({
    async compute(inputs) {
      const images = inputs.images;
      const perImageGroup = count(images, (im) => im.group);
      const out: BaselineResult = {};
      const byLang = (rows: Map<string, { n: number; r: number }[]>) => {
        const per: Record<string, RetrievalScores> = {};
        for (const [l, qs] of [...rows].sort()) {
          const s = chanceScores(qs);
          if (s) per[l] = s;
        }
        const mean = macroMean(per);
        return mean ? { ...per, mean } : undefined;
      };
      const t2i = new Map<string, { n: number; r: number }[]>();
      for (const c of inputs.captions)
        (t2i.get(c.lang) ?? t2i.set(c.lang, []).get(c.lang)!).push({
          n: images.length,
          r: perImageGroup.get(c.group) ?? 0,
        });
      const i2t = new Map<string, { n: number; r: number }[]>();
      for (const lang of new Set(inputs.captions.map((c) => c.lang))) {
        const caps = inputs.captions.filter((c) => c.lang === lang);
        const per = count(caps, (c) => c.group);
        i2t.set(
          lang,
          images.map((im) => ({ n: caps.length, r: per.get(im.group) ?? 0 })),
        );
      }
      const t2t = new Map<string, { n: number; r: number }[]>();
      for (const lang of new Set(inputs.queries.map((q) => q.lang))) {
        const chunks = inputs.chunks.filter((c) => c.lang === lang);
        const per = count(chunks, (c) => c.group);
        t2t.set(
          lang,
          inputs.queries
            .filter((q) => q.lang === lang && q.group !== null)
            .map((q) => ({ n: chunks.length, r: per.get(q.group!) ?? 0 })),
        );
      }
      const [a, b, c] = [byLang(t2i), byLang(i2t), byLang(t2t)];
      if (a) out.t2i = a;
      if (b) out.i2t = b;
      if (c) out.t2t = c;
      return out;
    },
  }),
});

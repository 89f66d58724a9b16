import { z } from 'zod';
import { overridesSlug, type Overrides } from '../config/overrides';
import { mulberry32 } from '../rng';

const Range = z
  .object({
    min: z.number(),
    max: z.number(),
    log: z.boolean().default(false),
    int: z.boolean().default(false),
  })
  .refine((r) => r.max > r.min, { message: 'max must be > min' })
  .refine((r) => !r.log || r.min > 0, { message: 'log range needs min > 0' });

/** A sweep: a base experiment plus overrides by dotted config path. */
export const SweepSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case id'),
    /** What question this sweep answers (shown in the report). */
    question: z.string().default(''),
    /** Experiment file or name (experiments/<name>.ts). */
    base: z.string(),
    method: z.enum(['grid', 'random']).default('grid'),
    /** grid: a list of values per path; random: a list (uniform choice) or a {min, max, log, int} range. */
    params: z.record(z.string(), z.union([z.array(z.unknown()).min(1), Range])),
    /** Random search: number of points (each run with every seed). */
    trials: z.number().int().positive().optional(),
    /** Seed of the random search itself. */
    searchSeed: z.number().int().default(0),
    /** Every point runs once per seed. */
    seeds: z.array(z.number().int()).min(1).default([1]),
    /** Overrides applied to every trial. */
    fixed: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((s, ctx) => {
    for (const [p, v] of Object.entries(s.params)) {
      if (s.method === 'grid' && !Array.isArray(v))
        ctx.addIssue({ code: 'custom', path: ['params', p], message: 'grid search needs a list of values' });
    }
    if (s.method === 'random' && s.trials === undefined)
      ctx.addIssue({ code: 'custom', path: ['trials'], message: 'random search needs trials' });
  });
export type SweepSpec = z.output<typeof SweepSchema>;
export type SweepInput = z.input<typeof SweepSchema>;

/** Identity helper for typed sweep files: `export default defineSweep({...})`. */
export const defineSweep = (s: SweepInput): SweepInput => s;

export interface Trial {
  runId: string;
  point: Overrides; // the swept values
  overrides: Overrides; // fixed + point
  seed: number;
}

/** Cartesian product (grid) or seeded random points, each crossed with every seed, in a stable order. */
export function expandSweep(s: SweepSpec): Trial[] {
  const paths = Object.keys(s.params);
  let points: Overrides[] = [{}];
  if (s.method === 'grid') {
    for (const p of paths) points = points.flatMap((pt) => (s.params[p] as unknown[]).map((v) => ({ ...pt, [p]: v })));
  } else {
    const r = mulberry32(s.searchSeed);
    points = Array.from({ length: s.trials! }, () => {
      const pt: Overrides = {};
      for (const p of paths) {
        const spec = s.params[p]!;
        if (Array.isArray(spec)) pt[p] = spec[Math.floor(r() * spec.length)];
        else {
          const u = r();
          let v = spec.log
            ? Math.exp(Math.log(spec.min) + u * (Math.log(spec.max) - Math.log(spec.min)))
            : spec.min + u * (spec.max - spec.min);
          v = spec.int ? Math.round(v) : Number(v.toPrecision(4));
          pt[p] = v;
        }
      }
      return pt;
    });
  }
  const trials: Trial[] = [];
  const seen = new Set<string>();
  for (const point of points) {
    for (const seed of s.seeds) {
      const runId = `${s.id}--${overridesSlug(point) || 'base'}--s${seed}`;
      if (seen.has(runId)) continue; // random search may draw the same point twice
      seen.add(runId);
      trials.push({ runId, point, overrides: { ...s.fixed, ...point }, seed });
    }
  }
  return trials;
}

import { join } from 'node:path';
import { readOutcomes, type Outcomes } from '../eval/outcomes';
import { BOOTSTRAP_METRICS, pairedBootstrap, type BootstrapMetric } from './bootstrap';
import { key, type SweepRows, type TrialRow } from './collect';
import type { HeadlineMetric } from '../eval/headline';
import { compareArms, describeDifference, fmt, fmtBound, fmtMeanCi, fmtSigned, meanStd } from './stats';

/** Where trial run directories are (outcomes for the bootstrap) and how many resamples to draw. */
interface RenderContext {
  columns: Column[];
  runsDir?: string;
  resamples: number;
  cache: Map<string, Outcomes | undefined>;
}

type Column = [label: string, task: string, metric: string];

/**
 * The arm table's columns, at language 'mean' (macro mean over languages): the metric plugins' headlines, then the
 * t2t and NLU ones again on held-out-template queries (the store's '<task>#held-out' rows).
 */
export function resultColumns(heads: readonly HeadlineMetric[]): Column[] {
  const mean = heads.filter((h) => h.language === 'mean');
  return [
    ...mean.map((h): Column => [h.label, h.task, h.metric]),
    ...mean
      .filter((h) => h.task === 't2t' || h.task === 'nlu')
      .map((h): Column => [`${h.label} (held-out)`, `${h.task}#held-out`, h.metric]),
  ];
}

/**
 * How a sweep's arms are compared: `treatment − baseline` per pair; perLanguage adds per-language deltas. Without
 * pairs, the arm chosen on validation is compared on test with `reference` (the default's arm), or with the
 * runner-up on validation when it is the reference itself or there is none.
 */
export interface Analysis {
  pairs?: [treatment: string, baseline: string][];
  reference?: string;
  perLanguage?: boolean;
  perStage?: boolean;
}

/** The paper's questions; any other sweep gets the arm table and its best arm vs the runner-up. */
export const ANALYSES: Record<string, Analysis> = {
  'staged-vs-single': { pairs: [['id=three-stage', 'id=single-stage']], perLanguage: true, perStage: true },
  'nlu-ablation': {
    pairs: [
      ['fusion=late', 'fusion=none'],
      ['fusion=cross-attention.heads.4', 'fusion=none'],
      ['fusion=cross-attention.heads.4', 'fusion=late'],
    ],
  },
  'stage-monitor': { perStage: true },
  'distill-multilingual': { pairs: [['id=distill-three-stage', 'id=three-stage']] },
  'pretrained-text-en': { pairs: [['text=use-lite-en', 'text=text-transformer.hidden.128.layers.1.heads.4']] },
  'alpha-sweep': { reference: 'alpha=0.5' },
  'ab-sweep': { reference: 'a=0.25-b=1' },
  'stage-split': { reference: 'steps=_stage1_150_stage2_60_stage3_90_', perStage: true },
  'zero-shot-languages': {
    pairs: [['trainLanguages=_en_de_fr_es_ru_zh_', 'trainLanguages=_en_de_fr_es_ru_zh_it_pl_ja_ko_hi_th_']],
    perLanguage: true,
  },
};

const vals = (ts: TrialRow[], k: string) => ts.map((t) => t.values.get(k)).filter((x): x is number => x !== undefined);
const armTrials = (s: SweepRows, arm: string) => s.trials.filter((t) => t.arm === arm);

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** Test outcomes of a trial (runs/<id>/outcomes/test.json), cached; undefined for runs that wrote none. */
function outcomesOf(
  runsDir: string | undefined,
  t: TrialRow,
  cache: Map<string, Outcomes | undefined>,
): Outcomes | undefined {
  if (!runsDir) return undefined;
  if (!cache.has(t.runId)) cache.set(t.runId, readOutcomes(join(runsDir, t.runId), 'test'));
  return cache.get(t.runId);
}

/** The store key of a bootstrap metric's final value (macro mean over languages). */
const FINAL_KEY: Record<BootstrapMetric, string> = {
  't2i R@10': key('final', 't2i', 'mean', 'R@10'),
  'i2t R@10': key('final', 'i2t', 'mean', 'R@10'),
  't2t R@10': key('final', 't2t', 'mean', 'R@10'),
  'intent acc': key('final', 'nlu', 'mean', 'intentAccuracy'),
  'slot F1': key('final', 'nlu', 'mean', 'slotF1'),
  't2t R@10 (held-out)': key('final', 't2t#held-out', 'mean', 'R@10'),
  'intent acc (held-out)': key('final', 'nlu#held-out', 'mean', 'intentAccuracy'),
  'slot F1 (held-out)': key('final', 'nlu#held-out', 'mean', 'slotF1'),
};

/** A minimum number of seeds per arm before a difference is called a finding. */
export const MIN_SEEDS = 5;

function comparisonLines(s: SweepRows, a: string, b: string, perLanguage: boolean, ctx: RenderContext): string[] {
  const A = armTrials(s, a);
  const B = armTrials(s, b);
  if (!A.length || !B.length) return [`- ${a} vs ${b}: not both arms finished yet (${A.length} / ${B.length} seeds).`];
  const out: string[] = [];
  const seeds = [...new Set(A.map((t) => t.seed))].filter((sd) => B.some((t) => t.seed === sd)).sort((x, y) => x - y);
  const pairs = seeds.flatMap((sd) => {
    const [ta, tb] = [A.find((t) => t.seed === sd)!, B.find((t) => t.seed === sd)!];
    const [oa, ob] = [outcomesOf(ctx.runsDir, ta, ctx.cache), outcomesOf(ctx.runsDir, tb, ctx.cache)];
    return oa && ob ? [[oa, ob] as [Outcomes, Outcomes]] : [];
  });
  for (const metric of BOOTSTRAP_METRICS) {
    const k = FINAL_KEY[metric];
    const [xa, xb] = [vals(A, k), vals(B, k)];
    if (!xa.length || !xb.length) continue;
    const head = `- **${a} − ${b}, ${metric}** (test, macro mean over languages): ${a} ${fmtMeanCi(xa)}, ${b} ${fmtMeanCi(xb)} (mean ± 95% CI over seeds)`;
    const few = Math.min(xa.length, xb.length) < MIN_SEEDS;
    const bs = pairs.length ? pairedBootstrap(pairs, metric, ctx.resamples) : undefined;
    if (bs) {
      const excludes = bs.lo > 0 || bs.hi < 0;
      const verdict = excludes
        ? few
          ? `the interval excludes 0, but with fewer than ${MIN_SEEDS} seeds per arm this is a screen, not a finding`
          : `**a difference** (the interval excludes 0): ${bs.delta > 0 ? a : b} is better`
        : `no difference shown (the interval includes 0)`;
      out.push(
        `${head}; Δ = ${fmtSigned(bs.delta)}, 95% CI [${fmtBound(bs.lo)}, ${fmtBound(bs.hi)}] (paired bootstrap: ${bs.queries.toLocaleString('en')} test queries × ${bs.pairs} seed pairs, ${bs.resamples.toLocaleString('en')} resamples); detectable with 80% power: |Δ| ≥ ${fmt(bs.detectable)}. ${verdict}.`,
      );
    } else {
      const d = compareArms(xa, xb);
      out.push(`${head}; ${describeDifference(d)} (no per-query outcomes for a bootstrap)`);
    }
  }
  if (perLanguage) {
    for (const [label, task] of [
      ['T2I R@10', 't2i'],
      ['T2T R@10', 't2t'],
    ] as const) {
      const langs = [
        ...new Set(
          [...A, ...B].flatMap((t) =>
            [...t.values.keys()].filter((k) => k.startsWith(`final/${task}/`)).map((k) => k.split('/')[2]!),
          ),
        ),
      ]
        .filter((l) => l !== 'mean')
        .sort();
      if (!langs.length) continue;
      const rows = langs.map((l) => {
        const k = key('final', task, l, 'R@10');
        const d = compareArms(vals(A, k), vals(B, k));
        return [
          l,
          fmtMeanCi(vals(A, k)),
          fmtMeanCi(vals(B, k)),
          fmtSigned(d.delta),
          fmt(d.spread),
          d.exceeds === undefined ? 'n/a' : d.exceeds ? 'yes' : 'no',
        ];
      });
      const n = rows.filter((r) => r[5] === 'yes').length;
      const pos = rows.filter((r) => r[3]!.startsWith('+') && r[5] === 'yes').length;
      out.push(
        '',
        `Per language, ${label} (test): ${a} − ${b}; ${n} of ${langs.length} languages exceed the seed spread (|Δ| > 2σ; ${pos} in favour of ${a}).`,
        '',
      );
      out.push(...table(['lang', `${a} (± 95% CI)`, `${b} (± 95% CI)`, 'Δ', 'σ (pooled)', '|Δ| > 2σ'], rows));
    }
  }
  return out;
}

function perStageLines(s: SweepRows): string[] {
  const out: string[] = [];
  for (const arm of s.arms) {
    const ts = armTrials(s, arm);
    const stages = ts[0]?.stages.filter((st) => st !== 'final') ?? [];
    if (!stages.length) continue;
    out.push('', `Validation after each stage, ${arm} (mean ± 95% CI over ${ts.length} seeds; 'final' = test):`, '');
    out.push(
      ...table(
        ['stage', 'T2I R@10', 'T2T R@10', 'intent acc'],
        [...stages, 'final'].map((st) => [
          st,
          ...(['t2i/R@10', 't2t/R@10', 'nlu/intentAccuracy'] as const).map((tm) => {
            const [t, m] = tm.split('/');
            return fmtMeanCi(vals(ts, key(st, t!, 'mean', m!)));
          }),
        ]),
      ),
    );
  }
  return out;
}

/** One sweep's section: arms table (mean ± std over seeds), then the computed comparisons. */
function sweepSection(s: SweepRows, question: string | undefined, ctx: RenderContext): string[] {
  const a = ANALYSES[s.sweep] ?? {};
  const out = [`## ${s.sweep}`, ''];
  if (question) out.push(`Question: ${question}`, '');
  const wall = meanStd(s.trials.map((t) => t.wallSec).filter((x): x is number => x !== undefined));
  out.push(
    `${s.trials.length} finished trials; time: ${Number.isFinite(wall.mean) ? `${(wall.mean / 60).toFixed(1)} min per trial (mean, measured), ${((wall.mean * s.trials.length) / 60).toFixed(0)} min in all` : 'not recorded'}.`,
    '',
  );
  const armRows = s.arms.map((arm) => {
    const ts = armTrials(s, arm);
    return [
      arm,
      ts
        .map((t) => t.seed)
        .sort((x, y) => x - y)
        .join(','),
      ...ctx.columns.map(([, task, metric]) => fmtMeanCi(vals(ts, key('final', task, 'mean', metric)))),
    ];
  });
  out.push(...table(['arm', 'seeds', ...ctx.columns.map(([l]) => l)], [...armRows, ...baselineRows(s, ctx.columns)]));
  out.push('', '### Conclusion (computed)', '');
  let pairs = a.pairs ?? [];
  if (s.arms.length < 2) out.push('- one arm only: no comparison.');
  else if (!a.pairs) {
    const choice = chosenOnValidation(s, a.reference);
    out.push(`- ${choice.line}`);
    pairs = choice.pairs;
  }
  for (const [x, y] of pairs) out.push(...comparisonLines(s, x, y, !!a.perLanguage, ctx));
  if (a.perStage) out.push(...perStageLines(s));
  out.push('');
  return out;
}

/** Baselines of the trials' test splits (pixel-knn, chance: no training), as arm-table rows over every trial. */
function baselineRows(s: SweepRows, columns: Column[]): string[][] {
  const names = [
    ...new Set(
      s.trials.flatMap((t) =>
        [...t.values.keys()]
          .map((k) => k.split('/')[1]!)
          .filter((task) => task.includes('@'))
          .map((task) => task.split('@')[1]!),
      ),
    ),
  ].sort();
  return names.map((b) => [
    `*${b.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} (baseline)*`,
    'all',
    ...columns.map(([, task, metric]) => fmtMeanCi(vals(s.trials, key('final', `${task}@${b}`, 'mean', metric)))),
  ]);
}

/**
 * Generic sweeps choose on validation, never on test: arms ranked by the mean T2I R@10 of the eval split after
 * their last stage, over the seeds every arm ran (a screen's seeds: arms confirmed with more seeds afterwards are
 * not ranked on a different sample); the best is compared on test with the reference arm (or the runner-up), on
 * all the seeds both ran. Without validation numbers nothing is chosen.
 */
export function chosenOnValidation(s: SweepRows, reference?: string): { line: string; pairs: [string, string][] } {
  const seedsOf = (arm: string) => new Set(armTrials(s, arm).map((t) => t.seed));
  const common = [...seedsOf(s.arms[0] ?? '')].filter((seed) => s.arms.every((arm) => seedsOf(arm).has(seed)));
  const uneven = s.arms.some((arm) => seedsOf(arm).size !== common.length);
  const ranked = s.arms
    .map((arm) => {
      const ts = armTrials(s, arm).filter((t) => common.includes(t.seed));
      const last = ts[0]?.stages.filter((st) => st !== 'final').at(-1);
      return { arm, m: last ? meanStd(vals(ts, key(last, 't2i', 'mean', 'R@10'))).mean : Number.NaN };
    })
    .filter((r) => Number.isFinite(r.m))
    .sort((p, q) => q.m - p.m);
  if (ranked.length < 2)
    return { line: 'no validation T2I R@10 for two arms: no arm chosen (test is not used to choose).', pairs: [] };
  const best = ranked[0]!.arm;
  const other = reference && reference !== best && s.arms.includes(reference) ? reference : ranked[1]!.arm;
  const list = ranked.map((r) => `${r.arm} ${fmt(r.m)}`).join(', ');
  const why = other === reference ? `the reference (default) arm ${reference}` : 'the runner-up';
  return {
    line: `Chosen on validation (T2I R@10 of the eval split after the last stage, mean over ${uneven ? `seeds ${common.sort((x, y) => x - y).join(', ')}, the ones every arm ran` : 'seeds'}; test is not used to choose): ${list}. ${best} against ${why}, on test:`,
    pairs: [[best, other]],
  };
}

export function renderResults(
  sweeps: SweepRows[],
  opts: {
    db: string;
    /** The metric plugins' headlines (headlineMetrics): the arm table's columns. */
    headlines: readonly HeadlineMetric[];
    questions?: Record<string, string>;
    generatedAt?: string;
    runsDir?: string;
    resamples?: number;
  },
): string {
  const ctx: RenderContext = {
    columns: resultColumns(opts.headlines),
    runsDir: opts.runsDir,
    resamples: opts.resamples ?? 2000,
    cache: new Map(),
  };
  const head = [
    '# RESULTS',
    '',
    `Generated by \`unir results --db ${opts.db}\` from the run store${opts.generatedAt ? ` at ${opts.generatedAt}` : ''}; do not edit by hand.`,
    'Numbers: final test metrics, macro mean over languages; per arm the mean ± the half-width of its 95% t interval',
    'over seeds. Baseline rows (pixel-knn: raw-pixel nearest neighbour; chance) need no training and stand beside the',
    'arms. A comparison A − B is a paired bootstrap over test queries and seeds: each seed of A is paired with the same',
    `seed of B (same data slice and test queries), and each of ${ctx.resamples.toLocaleString('en')} resamples draws seed pairs and, within each`,
    'language, queries with replacement — the same draws for both arms. It gives the 95% interval of Δ and the smallest',
    `|Δ| the design detects with 80% power (2.80 × the bootstrap SE). A difference is a finding only when the interval`,
    `excludes 0 with at least ${MIN_SEEDS} seeds per arm. Per-language tables use the seed spread (|Δ| > 2σ, σ pooled).`,
    '',
  ];
  if (!sweeps.length) return [...head, 'No finished sweep trials in the store yet.', ''].join('\n');
  return [...head, ...sweeps.flatMap((s) => sweepSection(s, opts.questions?.[s.sweep], ctx))].join('\n');
}

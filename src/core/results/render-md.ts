import { key, type SweepRows, type TrialRow } from './collect';
import { compareArms, describeDifference, fmt, fmtMeanStd, fmtSigned, meanStd } from './stats';

/** Headline numbers of every sweep: [label, task, metric] at language 'mean' (macro mean over languages). */
export const HEADLINE = [
  ['T2I R@10', 't2i', 'R@10'],
  ['I2T R@10', 'i2t', 'R@10'],
  ['T2T R@10', 't2t', 'R@10'],
  ['Q2I R@10', 'q2i', 'R@10'],
  ['intent acc', 'nlu', 'intentAccuracy'],
  ['slot F1', 'nlu', 'slotF1'],
] as const;

/** How a sweep's arms are compared: `treatment − baseline` per pair; perLanguage adds per-language deltas. */
export interface Analysis {
  pairs?: [treatment: string, baseline: string][];
  perLanguage?: boolean;
  perStage?: boolean;
}

/** The paper's questions; any other sweep gets the arm table and its best arm vs the runner-up. */
export const ANALYSES: Record<string, Analysis> = {
  'staged-vs-single': { pairs: [['id=three-stage', 'id=single-stage']], perLanguage: true, perStage: true },
  'nlu-ablation': { pairs: [['fusion=late', 'fusion=none'], ['fusion=cross-attention.heads.4', 'fusion=none'], ['fusion=cross-attention.heads.4', 'fusion=late']] },
  'stage-monitor': { perStage: true },
  'zero-shot-languages': { pairs: [['trainLanguages=_en_de_fr_es_ru_zh_', 'trainLanguages=_en_de_fr_es_ru_zh_it_pl_ja_ko_hi_th_']], perLanguage: true },
};

const vals = (ts: TrialRow[], k: string) => ts.map((t) => t.values.get(k)).filter((x): x is number => x !== undefined);
const armTrials = (s: SweepRows, arm: string) => s.trials.filter((t) => t.arm === arm);

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function comparisonLines(s: SweepRows, a: string, b: string, perLanguage: boolean): string[] {
  const A = armTrials(s, a);
  const B = armTrials(s, b);
  if (!A.length || !B.length) return [`- ${a} vs ${b}: not both arms finished yet (${A.length} / ${B.length} seeds).`];
  const out: string[] = [];
  for (const [label, task, metric] of HEADLINE) {
    const k = key('final', task, 'mean', metric);
    const [xa, xb] = [vals(A, k), vals(B, k)];
    if (!xa.length || !xb.length) continue;
    out.push(`- **${a} − ${b}, ${label}** (test, mean over languages): ${describeDifference(compareArms(xa, xb))}`);
  }
  if (perLanguage) {
    for (const [label, task] of [['T2I R@10', 't2i'], ['T2T R@10', 't2t']] as const) {
      const langs = [...new Set([...A, ...B].flatMap((t) => [...t.values.keys()].filter((k) => k.startsWith(`final/${task}/`)).map((k) => k.split('/')[2]!)))].filter((l) => l !== 'mean').sort();
      if (!langs.length) continue;
      const rows = langs.map((l) => {
        const k = key('final', task, l, 'R@10');
        const d = compareArms(vals(A, k), vals(B, k));
        return [l, fmtMeanStd(vals(A, k)), fmtMeanStd(vals(B, k)), fmtSigned(d.delta), fmt(d.spread), d.exceeds === undefined ? 'n/a' : d.exceeds ? 'yes' : 'no'];
      });
      const n = rows.filter((r) => r[5] === 'yes').length;
      const pos = rows.filter((r) => r[3]!.startsWith('+') && r[5] === 'yes').length;
      out.push('', `Per language, ${label} (test): ${a} − ${b}; ${n} of ${langs.length} languages exceed the seed spread (${pos} in favour of ${a}).`, '');
      out.push(...table(['lang', a, b, 'Δ', 'σ (pooled)', '|Δ| > 2σ'], rows));
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
    out.push('', `Val after each stage, ${arm} (mean ± std over ${ts.length} seeds; 'final' = test):`, '');
    out.push(...table(['stage', 'T2I R@10', 'T2T R@10', 'intent acc'], [...stages, 'final'].map((st) => [
      st, ...(['t2i/R@10', 't2t/R@10', 'nlu/intentAccuracy'] as const).map((tm) => { const [t, m] = tm.split('/'); return fmtMeanStd(vals(ts, key(st, t!, 'mean', m!))); }),
    ])));
  }
  return out;
}

/** One sweep's section: arms table (mean ± std over seeds), then the computed comparisons. */
export function sweepSection(s: SweepRows, question: string | undefined): string[] {
  const a = ANALYSES[s.sweep] ?? {};
  const out = [`## ${s.sweep}`, ''];
  if (question) out.push(`Question: ${question}`, '');
  const wall = meanStd(s.trials.map((t) => t.wallSec).filter((x): x is number => x !== undefined));
  out.push(`${s.trials.length} finished trials; time: ${Number.isFinite(wall.mean) ? `${(wall.mean / 60).toFixed(1)} min per trial (mean, measured), ${((wall.mean * s.trials.length) / 60).toFixed(0)} min in all` : 'not recorded'}.`, '');
  out.push(...table(['arm', 'seeds', ...HEADLINE.map(([l]) => l)], s.arms.map((arm) => {
    const ts = armTrials(s, arm);
    return [arm, ts.map((t) => t.seed).sort((x, y) => x - y).join(','), ...HEADLINE.map(([, task, metric]) => fmtMeanStd(vals(ts, key('final', task, 'mean', metric))))];
  })));
  out.push('', '### Conclusion (computed)', '');
  const pairs = a.pairs ?? bestVsRunnerUp(s);
  for (const [x, y] of pairs) out.push(...comparisonLines(s, x, y, !!a.perLanguage));
  if (!pairs.length) out.push('- one arm only: no comparison.');
  if (a.perStage) out.push(...perStageLines(s));
  out.push('');
  return out;
}

/** Generic sweeps: the arm with the best mean T2I R@10 against the runner-up. */
function bestVsRunnerUp(s: SweepRows): [string, string][] {
  const k = key('final', 't2i', 'mean', 'R@10');
  const ranked = s.arms.map((arm) => ({ arm, m: meanStd(vals(armTrials(s, arm), k)).mean })).filter((r) => Number.isFinite(r.m)).sort((p, q) => q.m - p.m);
  return ranked.length >= 2 ? [[ranked[0]!.arm, ranked[1]!.arm]] : [];
}

export function renderResults(sweeps: SweepRows[], opts: { db: string; questions?: Record<string, string>; generatedAt?: string }): string {
  const head = [
    '# RESULTS',
    '',
    `Generated by \`unir results --db ${opts.db}\` from the run store${opts.generatedAt ? ` at ${opts.generatedAt}` : ''}; do not edit by hand.`,
    'Numbers: final test metrics, macro mean over languages, mean ± sample std over seeds. A difference',
    '"exceeds the seed spread" when |Δ| > 2σ, σ the pooled seed std of the two arms.',
    '',
  ];
  if (!sweeps.length) return [...head, 'No finished sweep trials in the store yet.', ''].join('\n');
  return [...head, ...sweeps.flatMap((s) => sweepSection(s, opts.questions?.[s.sweep]))].join('\n');
}

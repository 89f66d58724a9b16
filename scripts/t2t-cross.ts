// Tabulates cross-lingual T2T R@10 of a sweep's arms from the runs' metrics.json (final.t2tCross[queryLang][chunkLang]):
// per language X ≠ pivot, X → pivot and pivot → X, mean ± 95% t interval over seeds per arm, and the difference of the
// first arm minus the second paired by seed (mean ± 95% t interval of the per-seed differences). Markdown on stdout.
//
//   node bin/run-ts.mjs scripts/t2t-cross.ts <runsDir> <sweepId> [pivot=en]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, fmtMeanCi, fmtSigned, meanCi } from '../src/core/results/stats';

const [runsDir, sweepId, pivot = 'en'] = process.argv.slice(2);
if (!runsDir || !sweepId) {
  console.error('usage: node bin/run-ts.mjs scripts/t2t-cross.ts <runsDir> <sweepId> [pivot=en]');
  process.exit(2);
}

type Cross = Record<string, Record<string, Record<string, number>>>;
// run ids: <sweep>--<arm>--s<seed>
const runs = readdirSync(runsDir)
  .map((d) => /^(.+)--(.+)--s(\d+)$/.exec(d))
  .filter((m): m is RegExpExecArray => !!m && m[1] === sweepId && existsSync(join(runsDir, m[0], 'metrics.json')))
  .map((m) => ({
    arm: m[2]!,
    seed: Number(m[3]),
    cross: (JSON.parse(readFileSync(join(runsDir, m[0], 'metrics.json'), 'utf8')) as { final: { t2tCross?: Cross } })
      .final.t2tCross,
  }))
  .filter((r) => r.cross);
const arms = [...new Set(runs.map((r) => r.arm))].sort();
if (arms.length === 0) {
  console.error(`${runsDir}: no finished run of sweep '${sweepId}' with final.t2tCross in its metrics.json`);
  process.exit(2);
}
const langs = Object.keys(runs[0]!.cross!)
  .filter((l) => l !== pivot)
  .sort();
const value = (c: Cross, q: string, d: string) => c[q]?.[d]?.['R@10'];
const bySeed = (arm: string, q: string, d: string) =>
  new Map(runs.filter((r) => r.arm === arm).map((r) => [r.seed, value(r.cross!, q, d)!] as const));

const [a, b] = arms;
console.log(
  `Cross-lingual T2T R@10 (test), sweep ${sweepId}: ${arms.map((x) => `${x} (${runs.filter((r) => r.arm === x).length} seeds)`).join(', ')}; mean ± 95% CI over seeds.\n`,
);
const head = ['direction', ...arms, ...(b ? [`${a} − ${b} (paired by seed)`] : [])];
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
const rows: [string, string, string][] = [
  ...langs.map((l) => [`${l} → ${pivot}`, l, pivot] as [string, string, string]),
  ...langs.map((l) => [`${pivot} → ${l}`, pivot, l] as [string, string, string]),
];
const deltas: number[] = [];
for (const [label, q, d] of rows) {
  const cells = arms.map((arm) => fmtMeanCi([...bySeed(arm, q, d).values()]));
  if (b) {
    const [A, B] = [bySeed(a!, q, d), bySeed(b, q, d)];
    const diffs = [...A.keys()].filter((s) => B.has(s)).map((s) => A.get(s)! - B.get(s)!);
    const m = meanCi(diffs);
    deltas.push(m.mean);
    cells.push(`${fmtSigned(m.mean)}${m.half === undefined ? '' : ` ± ${fmt(m.half)}`}`);
  }
  console.log(`| ${label} | ${cells.join(' | ')} |`);
}
if (b)
  console.log(
    `\nMean Δ over the ${rows.length} directions: ${fmtSigned(deltas.reduce((x, y) => x + y, 0) / deltas.length)}.`,
  );

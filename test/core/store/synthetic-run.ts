import type { StoreRun } from '../../../src/core/store/rows';

/** A run with known row counts: 1 runs row, 3 config rows, 2 × 2 × 6 metric rows + 2 nlu rows, 50 × 3 history rows. */
export function syntheticRun(runId: string, seed: number): StoreRun {
  const s = (x: number) => ({ 'R@1': x / 4, 'R@5': x / 2, 'R@10': x, medianRank: 3, mrr: x / 3, n: 10 });
  const metrics = { retrieval: { t2i: { en: s(0.8), mean: s(0.8) }, t2t: { en: s(0.4), mean: s(0.4) } } };
  return {
    runId,
    experiment: 'store-test',
    status: 'finished',
    backend: 'cpu',
    threads: 1,
    seed,
    startedAt: '2025-01-02T03:04:05.000Z',
    finishedAt: '2025-01-02T03:14:05.000Z',
    gitSha: 'abc1234',
    config: { id: 'store-test', seed, model: { fusion: { id: 'none' } } },
    metrics: {
      stages: [{ name: 'joint', metrics }],
      final: { ...metrics, nlu: { intentAccuracy: { en: 0.5 + seed / 100, mean: 0.5 + seed / 100 } } },
    },
    history: Array.from({ length: 50 }, (_, i) => ({
      stage: 'joint',
      step: i + 1,
      globalStep: i + 1,
      losses: { ti: 1 / (i + 1), tc: 2 / (i + 1) },
      lr: 1e-3,
    })),
  };
}
export const ROWS_PER_RUN = { runs: 1, configs: 3, metrics: 2 * 2 * 6 * 2 + 2, history: 150 };

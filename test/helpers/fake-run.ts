import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { mulberry32 as rng } from '../../src/core/rng';

export { rng };

const LANGS = ['en', 'de', 'fr', 'es', 'it', 'pl', 'ru', 'zh', 'ja', 'ko', 'hi', 'th'];

/**
 * Writes a run directory with the documented file shapes (metrics.json, history.jsonl, config.json, run.json)
 * filled with seeded numbers — input for the report renderer, independent of training.
 */
export function writeFakeRun(dir: string, runId: string, seed: number) {
  const r = rng(seed);
  const scores = () => {
    const r1 = r() * 0.5;
    const r5 = r1 + r() * 0.25;
    const r10 = r5 + r() * 0.2;
    return { 'R@1': r1, 'R@5': r5, 'R@10': r10, medianRank: 1 + Math.floor(r() * 40), mrr: r1 + 0.05 };
  };
  const byLang = <T>(f: () => T) => Object.fromEntries([...LANGS, 'mean'].map((l) => [l, f()]));
  const metrics = () => ({
    retrieval: { t2i: byLang(scores), i2t: byLang(scores), t2t: byLang(scores) },
    nlu: { intentAccuracy: byLang(r), slotF1: byLang(r), exactMatch: byLang(r) },
    intentConfusion: {
      labels: ['find_image', 'find_document', 'set_reminder', 'play_music'],
      matrix: [
        [50, 3, 0, 1],
        [4, 40, 2, 0],
        [0, 1, 30, 2],
        [1, 0, 0, 25],
      ],
    },
  });
  mkdirSync(dir, { recursive: true });
  const stages = ['stage1', 'stage2', 'stage3'];
  writeFileSync(
    join(dir, 'metrics.json'),
    JSON.stringify({
      runId,
      experiment: 'smoke',
      backend: 'wasm',
      seed,
      stages: stages.map((name) => ({ name, metrics: metrics() })),
      final: metrics(),
    }),
  );
  const lines: string[] = [];
  let g = 0;
  for (const stage of stages) {
    for (let step = 1; step <= 20; step++) {
      g++;
      const losses =
        stage === 'stage2'
          ? { intentCe: 2 / step, slotCe: 1.5 / step, mseAlign: 0.3 / step }
          : { ti: 4 / Math.sqrt(step), tc: 3 / Math.sqrt(step) };
      lines.push(JSON.stringify({ stage, step, globalStep: g, lr: 1e-3, samplesPerSec: 100, losses }));
    }
  }
  writeFileSync(join(dir, 'history.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      id: 'smoke',
      seed,
      model: { tokenizer: { id: 'word-ngram' }, fusion: { id: 'cross-attention' } },
      curriculum: { id: 'three-stage' },
    }),
  );
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ status: 'finished', backend: 'wasm', threads: 2, gitSha: 'abc1234', durationSec: 12.5 }),
  );
}

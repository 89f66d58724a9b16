// stage-split — how should a fixed step budget be split between stage 1 (image–caption + α·chunk terms) and
// stage 3 (joint: image–caption + a·query–chunk + b·NLU)? staged-vs-single found one joint stage better for T2I and
// worse for T2T than the curriculum; this asks whether moving steps from stage 1 to stage 3 buys T2I back and what
// it costs T2T. Arms: stage1 / stage3 = 150 / 90 (the sweep scale's default, ≈ paper-three-stage's 1700 / 850),
// 90 / 150 and 30 / 210 with stage 2 at 60; and 150 / 1 / 149, stage 2 (which freezes the image tower) cut to one
// step, so the image tower takes 299 of the 300 updates as in single-stage. Seeds 1–5 at the scale of
// experiments/sweeps/scale.ts (20 trials, ≈ 1.1 min a trial). `unir results` chooses the arm on val-design and
// compares it on test with the default split.
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'stage-split',
  question:
    'At the same total steps, does moving steps from stage 1 to stage 3 raise T2I R@10, and what does it cost T2T?',
  base: 'paper-three-stage',
  params: {
    'curriculum.steps': [
      { stage1: 150, stage2: 60, stage3: 90 },
      { stage1: 90, stage2: 60, stage3: 150 },
      { stage1: 30, stage2: 60, stage3: 210 },
      { stage1: 150, stage2: 1, stage3: 149 },
    ],
  },
  seeds: [1, 2, 3, 4, 5],
  fixed: { ...SCALE_FIXED },
});

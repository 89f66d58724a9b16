// The scale every paper-question sweep runs at on this machine: paper-three-stage's model unchanged
// (2 layers, 128 wide, 12 languages), fewer steps and a smaller batch / eval slice so a trial takes
// minutes on 2 shared cores instead of ≈ 20. At this size (20 steps of 16) the numbers are a pipeline-level
// signal, not the paper's; measured under a load average of ≈ 12 from other users. Override these (or drop them) where a bigger machine is at hand.
export const SCALE_FIXED = {
  'curriculum.steps': { stage1: 8, stage2: 4, stage3: 8 },
  'data.batchSize': 16,
  'data.maxGroups': { train: 200, val: 30, test: 30 },
  checkpointEvery: 10,
  'observers[0].every': 4,
} as const;

/** The 12 languages of emoji-cldr, split for the zero-shot question. */
export const SEEN_LANGUAGES = ['en', 'de', 'fr', 'es', 'ru', 'zh'] as const;
export const UNSEEN_LANGUAGES = ['it', 'pl', 'ja', 'ko', 'hi', 'th'] as const;

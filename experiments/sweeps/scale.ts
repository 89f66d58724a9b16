// The scale every paper-question sweep runs at on this machine: paper-three-stage's model unchanged
// (2 layers, 128 wide, 12 languages, all train concepts), 290 steps of 32 instead of 1,450 of 64, and a
// smaller val/test slice (60 / 150 concepts: chance R@10 = 0.17 / 0.07), so that a trial takes ≈ 3 minutes
// on 2 idle cores instead of ≈ 20. Numbers at this size answer the questions for this budget, not the
// paper's; drop these overrides where a bigger machine is at hand.
export const SCALE_FIXED = {
  'curriculum.steps': { stage1: 120, stage2: 50, stage3: 120 },
  'data.batchSize': 32,
  'data.maxGroups': { val: 60, test: 150 },
  checkpointEvery: 50,
  'observers[0].every': 25,
} as const;

/** The 12 languages of emoji-cldr, split for the zero-shot question. */
export const SEEN_LANGUAGES = ['en', 'de', 'fr', 'es', 'ru', 'zh'] as const;
export const UNSEEN_LANGUAGES = ['it', 'pl', 'ja', 'ko', 'hi', 'th'] as const;

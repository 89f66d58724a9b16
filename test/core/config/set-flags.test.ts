import { describe, expect, it } from 'vitest';
import type { ExperimentInput } from '../../../src/core/config/experiment';
import { resolveWithSetFlags, type SetFlag } from '../../../src/core/config/set-flags';
import { isUserError } from '../../../src/core/errors';
import { parseSetFlag } from '../../../src/core/config/overrides';
import { createRegistry } from '../../../src/plugins';

const registry = createRegistry({ warn: () => {} });
const base: ExperimentInput = {
  id: 'tiny',
  data: { dataset: { id: 'emoji-cldr' } },
  curriculum: { id: 'three-stage', steps: { stage1: 10, stage2: 5, stage3: 5 } },
};
const flags = (...sets: string[]): SetFlag[] =>
  sets.map((s) => {
    const [path, value] = parseSetFlag(s);
    return { flag: `--set ${s}`, path, value };
  });
function errorOf(input: ExperimentInput, ...sets: string[]): string {
  try {
    resolveWithSetFlags(input, 'tiny.ts', flags(...sets), registry);
  } catch (e) {
    if (!isUserError(e)) throw e;
    expect(e.message.split('\n')).toHaveLength(1);
    return e.message;
  }
  throw new Error(`no error for ${sets.join(' ')}`);
}

describe('resolveWithSetFlags: a bad --set is blamed on the flag, not the experiment file', () => {
  it('names the flag, and says what the path names that the experiment lacks (typos of stages and fields)', () => {
    expect(errorOf(base, 'data.batchSize=1')).toBe(
      '--set data.batchSize=1: data.batchSize: Too small: expected number to be >=2',
    );
    expect(errorOf(base, 'curriculum.stages.stage9.until.steps=5')).toBe(
      "--set curriculum.stages.stage9.until.steps=5: curriculum 'three-stage' has no stage 'stage9' (stages: stage1, stage2, stage3); " +
        'a new stage needs until, train and terms (curriculum.stages.stage9.train: Invalid input (+1 more))',
    );
    expect(errorOf(base, 'curriculum.stages.stag1.weights.alpha=2')).toMatch(
      /^--set curriculum\.stages\.stag1\.weights\.alpha=2: curriculum 'three-stage' has no stage 'stag1' \(stages: stage1, stage2, stage3\); did you mean 'stage1'\? \(curriculum\.stages\.stag1\.until: /,
    );
    expect(errorOf(base, 'optimizer.lrr=1')).toMatch(
      /^--set optimizer\.lrr=1: optimizer\.lrr: unknown field; valid fields here: lr, weightDecay, .*, minLrRatio; did you mean 'lr'\?$/,
    );
    expect(errorOf(base, 'data.datset.id=x')).toMatch(
      /^--set data\.datset\.id=x: data has no 'datset' \(it has dataset, .*\); did you mean 'dataset'\? \(data\.datset: unknown field; valid fields here: dataset, .*; did you mean 'dataset'\?\)$/,
    );
    expect(errorOf({ ...base, seed: 1 }, 'seed.x=1')).toBe("--set seed.x=1: 'seed' is 1, not an object");
  });

  it('blames the flag that breaks it, not the ones before; flags that only work together (a new stage) pass', () => {
    const stage = [
      'curriculum.stages.extra.until.steps=5',
      'curriculum.stages.extra.train=all',
      'curriculum.stages.extra.terms=[{"name":"ti","loss":"info-nce","pair":"image-caption"}]',
    ];
    expect(resolveWithSetFlags(base, 'tiny.ts', flags(...stage), registry).stages.map((s) => s.name)).toEqual([
      'stage1',
      'stage2',
      'stage3',
      'extra',
    ]);
    expect(errorOf(base, 'seed=3', ...stage, 'data.batchSize=0')).toBe(
      '--set data.batchSize=0: data.batchSize: Too small: expected number to be >=2',
    );
    expect(errorOf(base, 'data.batchSize=0', ...stage)).toBe(
      '--set data.batchSize=0: data.batchSize: Too small: expected number to be >=2',
    );
  });

  it("a broken file keeps the file's name, with or without flags", () => {
    const broken = { ...base, data: { dataset: { id: 'emoji-cldr' }, batchSize: 0 } };
    expect(errorOf(broken, 'seed=2')).toBe('tiny.ts: data.batchSize: Too small: expected number to be >=2');
  });
});

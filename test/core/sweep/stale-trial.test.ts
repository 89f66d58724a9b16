import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveExperiment } from '../../../src/core/config/experiment';
import { loadExperiment } from '../../../src/core/config/load';
import { firstDifference, validateTrials } from '../../../src/core/sweep/load-sweep';
import { applyOverrides } from '../../../src/core/config/overrides';
import { SweepSchema, expandSweep } from '../../../src/core/sweep/sweep';
import { modelSpecParser } from '../../../src/core/model/spec';
import { createRegistry } from '../../../src/plugins';

const tmp = mkdtempSync(join(tmpdir(), 'unir-stale-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const registry = createRegistry({ warn: () => {} });

describe('firstDifference', () => {
  it('names the first differing dotted path, or nothing for equal values', () => {
    expect(firstDifference({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } }, '')).toBeUndefined();
    expect(firstDifference({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] } }, '')).toBe('b.c[1]');
    expect(firstDifference({ a: 1 }, { a: 1, z: 0 }, '')).toBe('z');
    expect(firstDifference([1], [1, 2], 'x')).toBe('x');
  });
});

describe('validateTrials with existing trial directories', () => {
  const spec = SweepSchema.parse({
    id: 'st',
    base: 'smoke',
    params: { 'curriculum.stages.stage1.weights.alpha': [0.5] },
    seeds: [1],
  });
  const [trial] = expandSweep(spec);

  it("accepts a trial directory holding this trial's config, refuses one of another config", async () => {
    const { input } = await loadExperiment('smoke');
    const config = resolveExperiment(applyOverrides(input, { ...trial!.overrides, seed: 1 }), registry, {
      modelSpec: modelSpecParser,
    }).experiment;
    const dir = join(tmp, trial!.runId);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
    await expect(validateTrials(spec, [trial!], registry, tmp)).resolves.toBeUndefined();

    const stale = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    stale.data.batchSize = 7;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(stale));
    await expect(validateTrials(spec, [trial!], registry, tmp)).rejects.toThrowError(
      `${dir}: holds a run of another configuration than sweep st's trial (data.batchSize differs); move it aside (mv ${dir} ${dir}.old) and re-run the sweep`,
    );
  });
});

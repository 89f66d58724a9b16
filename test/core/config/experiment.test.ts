import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deepMerge } from '../../../src/core/config/curriculum';
import { resolveExperiment, type ExperimentInput } from '../../../src/core/config/experiment';
import { loadExperiment } from '../../../src/core/config/load';
import { parseWeightExpr } from '../../../src/core/config/stage';
import { isUserError } from '../../../src/core/errors';
import { applyOverrides } from '../../../src/core/config/overrides';
import { createRegistry } from '../../../src/plugins';

const registry = createRegistry({ warn: () => {} });
const tmp = mkdtempSync(join(tmpdir(), 'unir-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base: ExperimentInput = {
  id: 'tiny',
  data: { dataset: { id: 'emoji-cldr' } },
  curriculum: { id: 'three-stage', steps: { stage1: 10, stage2: 5, stage3: 5 } },
};

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isUserError(e)) throw e;
    expect(e.message.split('\n')).toHaveLength(1);
    return e.message;
  }
  throw new Error('expected a UserError');
}
const resolveWith = (overrides: Record<string, unknown>) =>
  resolveExperiment(applyOverrides(base, overrides), registry);

describe('experiment schema', () => {
  it('fills every default', () => {
    const { experiment: e, stages } = resolveExperiment(base, registry);
    expect(e.seed).toBe(1);
    expect(e.data).toMatchObject({ imageSize: 32, batchSize: 32, evalSplit: 'val', testSplit: 'test', maxGroups: {} });
    expect(e.data.dataset).toMatchObject({ id: 'emoji-cldr', build: true });
    expect(e.optimizer).toMatchObject({ lr: 1e-3, warmup: 0.1, clipNorm: 1 });
    expect(e.observers.map((o) => o.id)).toEqual(['console-progress', 'history-jsonl']);
    expect(e.observers[0]).toMatchObject({ every: 10, terms: 'main' });
    expect(stages.map((s) => [s.name, s.until])).toEqual([
      ['stage1', { steps: 10 }],
      ['stage2', { steps: 5 }],
      ['stage3', { steps: 5 }],
    ]);
  });

  it('reports bad values with the full path', () => {
    expect(errorOf(() => resolveWith({ 'curriculum.stages.stage2.terms[1].weight': -1 }))).toBe(
      "curriculum.stages.stage2.terms[1].weight: expected number ≥ 0, '<coefficient>' or '<coefficient>*<number>'; got -1",
    );
    expect(errorOf(() => resolveWith({ 'curriculum.stages.stage3.terms.qc.weight': 'aa*2' }))).toBe(
      "curriculum.stages.stage3.terms[2].weight: unknown coefficient 'aa'; this stage's weights: a, b, gamma. Did you mean 'a'?",
    );
    expect(errorOf(() => resolveWith({ 'curriculum.stages.stage1.weights.alpha': 'big' }))).toBe(
      'curriculum.stages.stage1.weights.alpha: Invalid input: expected number, received string',
    );
    expect(errorOf(() => resolveWith({ 'data.batchSize': 1 }))).toBe(
      'data.batchSize: Too small: expected number to be >=2',
    );
    expect(errorOf(() => resolveWith({ 'curriculum.stages.stage1.until': { steps: 5, epochs: 1 } }))).toBe(
      'curriculum.stages.stage1.until: give exactly one of {steps: N} or {epochs: N}',
    );
    expect(errorOf(() => resolveWith({ 'curriculum.stages.stage2.freeze': ['text', 'nlu'] }))).toBe(
      'curriculum.stages.stage2.freeze: nlu both trained and frozen; remove from one list',
    );
    expect(errorOf(() => resolveWith({ 'curriculum.stages.stage1.data.caption-chunk': null }))).toBe(
      "curriculum.stages.stage1.data: pair 'caption-chunk' is used by a term but has no share; add data.caption-chunk",
    );
    expect(errorOf(() => resolveWith({ 'curriculum.stages.stage1.wieghts': {} }))).toBe(
      "curriculum.stages.stage1.wieghts: unknown field; valid fields here: until, train, freeze, weights, terms, data, lr, warmup, batchSize, captionsPerImage, augment, skip; did you mean 'weights'?",
    );
    expect(errorOf(() => resolveWith({ 'curriculum.steps.stage4': 3 }))).toBe(
      "curriculum.steps.stage4: unknown field; valid fields here: stage1, stage2, stage3; did you mean 'stage1'?",
    );
    expect(errorOf(() => resolveWith({ epochs: 3 }))).toBe(
      'epochs: unknown field; valid fields here: id, description, plugins, seed, backend, data, model, curriculum, optimizer, eval, checkpointEvery, keepCheckpoints, observers; remove it or correct its name',
    );
    expect(errorOf(() => resolveWith({ 'data.epochs': 3, 'data.foo': 1 }))).toMatch(
      /^data\.epochs: unknown field \(also unknown: foo\); valid fields here: dataset, languages, .*, testSplit; remove it or correct its name$/,
    );
  });

  it('checks plugin ids against the registry with a did-you-mean', () => {
    expect(errorOf(() => resolveWith({ 'curriculum.stages.stage1.terms[0].loss': 'infonce' }))).toMatch(
      /^curriculum\.stages\.stage1\.terms\[0\]\.loss: unknown loss 'infonce'\. Known: .*info-nce.*\. Did you mean 'info-nce'\?$/,
    );
    expect(errorOf(() => resolveWith({ 'curriculum.id': 'three-stages' }))).toMatch(
      /^curriculum\.id: unknown curriculum 'three-stages'\. Known: custom, distill-three-stage, single-stage, three-stage\. Did you mean 'three-stage'\?$/,
    );
    expect(errorOf(() => resolveWith({ 'data.dataset.id': 'emoji-cdlr' }))).toMatch(
      /^data\.dataset: unknown dataset 'emoji-cdlr'.*Did you mean 'emoji-cldr'\?$/,
    );
    expect(errorOf(() => resolveWith({ observers: [{ id: 'history-json' }] }))).toMatch(
      /^observers\[0\]: unknown observer 'history-json'.*Did you mean 'history-jsonl'\?$/,
    );
    expect(errorOf(() => resolveWith({ 'curriculum.stages.stage1.terms[0].config.temperature': -1 }))).toMatch(
      /^curriculum\.stages\.stage1\.terms\[0\]\.config\.temperature: Too small/,
    );
    expect(errorOf(() => resolveWith({ observers: [{ id: 'console-progress', every: 0 }] }))).toBe(
      'observers[0].every: Too small: expected number to be >0',
    );
  });

  it('lets sweep paths address stage fields, add stages and skip them', () => {
    const { stages } = resolveWith({
      'curriculum.stages.stage1.weights.alpha': 0.25,
      'curriculum.stages.stage3.terms.qc.weight': 'a*2',
      'curriculum.stages.stage2.skip': true,
      'curriculum.stages.extra': {
        until: { epochs: 0.5 },
        train: ['text'],
        terms: [{ name: 'tc', loss: 'siglip', pair: 'caption-chunk' }],
      },
    });
    expect(stages.map((s) => s.name)).toEqual(['stage1', 'stage3', 'extra']);
    expect(stages[0]!.terms.map((t) => [t.name, t.weight])).toEqual([
      ['ti', 1],
      ['tc', 0.25],
      ['qc', 0.25],
    ]);
    expect(stages[1]!.terms.find((t) => t.name === 'qc')!.weight).toBe(1);
    expect(stages[2]).toMatchObject({
      until: { epochs: 0.5 },
      trainable: ['text'],
      frozen: ['image', 'nlu', 'fusion'],
      data: { 'caption-chunk': 1 },
    });
  });

  it('drops terms of weight 0 with their pair, and refuses a stage with none left', () => {
    const { stages } = resolveWith({ 'curriculum.stages.stage1.terms.qc.weight': 0 });
    expect(stages[0]!.terms.map((t) => t.name)).toEqual(['ti', 'tc']);
    expect(stages[0]!.data).toEqual({ 'image-caption': 0.5 / 0.75, 'caption-chunk': 0.25 / 0.75 });
    expect(
      errorOf(() => resolveWith({ 'curriculum.stages.stage2.terms': [{ weight: 0 }, { weight: 0 }, { weight: 0 }] })),
    ).toBe(
      'curriculum.stages.stage2.terms: every term has weight 0; give one a weight > 0 or set curriculum.stages.stage2.skip=true',
    );
  });

  it('parses weight expressions', () => {
    expect(parseWeightExpr('alpha')).toEqual({ coef: 'alpha', factor: 1 });
    expect(parseWeightExpr('b*0.5')).toEqual({ coef: 'b', factor: 0.5 });
    expect(parseWeightExpr(' 2 * b ')).toEqual({ coef: 'b', factor: 2 });
    expect(parseWeightExpr('b*1e-2')).toEqual({ coef: 'b', factor: 0.01 });
    expect(parseWeightExpr('b+1')).toBeUndefined();
    expect(parseWeightExpr('0.5')).toBeUndefined();
  });

  it('merges overlays: objects by key, arrays by index, null deletes', () => {
    const merged = deepMerge({ a: { x: 1, y: [1, { k: 2 }] }, b: 1 }, { a: { y: [undefined, { j: 3 }, 4] }, b: null });
    expect(merged).toEqual({ a: { x: 1, y: [1, { k: 2, j: 3 }, 4] } });
    // terms by name: update one, remove one, add one; the order of the base list does not matter
    const terms = [
      { name: 'ti', weight: 1 },
      { name: 'ii', weight: 'gamma' },
      { name: 'qc', weight: 'a' },
    ];
    expect(deepMerge(terms, { qc: { weight: 2 }, ii: null, tc: { weight: 0.5 } })).toEqual([
      { name: 'ti', weight: 1 },
      { name: 'qc', weight: 2 },
      { name: 'tc', weight: 0.5 },
    ]);
    // an overlay that went through JSON (config.json: holes become null) merges the same way
    const viaJson = JSON.parse(JSON.stringify({ a: { y: [undefined, { j: 3 }, 4] } })) as unknown;
    expect(deepMerge({ a: { x: 1, y: [1, { k: 2 }] } }, viaJson)).toEqual({ a: { x: 1, y: [1, { k: 2, j: 3 }, 4] } });
  });
});

describe('loadExperiment', () => {
  it('loads a TS file by name from experiments/ and a path, applying --set overrides', async () => {
    const ts = join(tmp, 'mine.ts');
    writeFileSync(
      ts,
      `import { defineExperiment } from '${resolve('src/core/config/experiment')}';\nexport default defineExperiment(${JSON.stringify(base)});\n`,
    );
    const { input, source } = await loadExperiment(ts, { seed: 9, 'curriculum.stages.stage1.weights.alpha': 0.1 });
    expect(source).toBe(ts);
    expect(input).toMatchObject({
      id: 'tiny',
      seed: 9,
      curriculum: { stages: { stage1: { weights: { alpha: 0.1 } } } },
    });
    const smoke = await loadExperiment('smoke');
    expect(smoke.source).toBe(join('experiments', 'smoke.ts'));
  });

  it('loads JSON and names the file in errors', async () => {
    const json = join(tmp, 'x.json');
    writeFileSync(json, JSON.stringify({ ...base, data: { dataset: { id: 'emoji-cldr' }, batchSize: 0 } }));
    const { input, source } = await loadExperiment(json);
    expect(errorOf(() => resolveExperiment(input, registry, { source }))).toBe(
      `${json}: data.batchSize: Too small: expected number to be >=2`,
    );
    writeFileSync(join(tmp, 'bad.json'), '{');
    await expect(loadExperiment(join(tmp, 'bad.json'))).rejects.toThrow(/bad\.json: not valid JSON/);
    await expect(loadExperiment('no-such-experiment')).rejects.toThrow(
      /^experiment 'no-such-experiment': no such file; give a path \(\.ts or \.json\) or a name in experiments\/ \(.*smoke.*\)$/,
    );
  });
});

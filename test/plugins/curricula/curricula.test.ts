import { describe, expect, it } from 'vitest';
import { resolveCurriculum } from '../../../src/core/config/curriculum';
import { BUILTIN_CURRICULA } from '../../../src/plugins/curricula';
import { createRegistry } from '../../../src/plugins';

const registry = createRegistry({ warn: () => {} });
const terms = (s: { terms: { name: string; loss: string; pair: string; weight: number }[] }) =>
  s.terms.map((t) => [t.name, t.loss, t.pair, t.weight]);

describe('built-in curricula', () => {
  it.each(BUILTIN_CURRICULA.map((p) => [p.id, p]))('%s parses its own defaults', (_id, p) => {
    expect(() => p.configSchema.parse({})).not.toThrow();
  });

  it('three-stage: L_TI + α·L_TC (+ L_QC) on text+image, then NLU on a frozen text encoder, then L_TI + a·L_QC + b·NLU', () => {
    const [s1, s2, s3] = resolveCurriculum({ id: 'three-stage' }, registry);
    expect(s1).toMatchObject({
      name: 'stage1',
      until: { steps: 600 },
      trainable: ['text', 'image'],
      frozen: ['nlu', 'fusion'],
      weights: { alpha: 0.5 },
    });
    expect(terms(s1!)).toEqual([
      ['ti', 'info-nce', 'image-caption', 1],
      ['tc', 'info-nce', 'caption-chunk', 0.5],
      ['qc', 'info-nce', 'query-chunk', 0.5],
    ]);
    expect(s1!.terms[2]!.nlu).toBe(false);
    expect(s2).toMatchObject({
      name: 'stage2',
      until: { steps: 200 },
      trainable: ['nlu', 'fusion'],
      frozen: ['text', 'image'],
    });
    expect(terms(s2!)).toEqual([
      ['intent', 'intent-ce', 'query-nlu', 1],
      ['slot', 'slot-ce', 'query-nlu', 1],
      ['align', 'mse-align', 'query-semantic', 1],
    ]);
    expect(s3).toMatchObject({
      name: 'stage3',
      until: { steps: 400 },
      trainable: ['text', 'image', 'nlu', 'fusion'],
      frozen: [],
      weights: { a: 0.5, b: 0.3 },
    });
    expect(terms(s3!)).toEqual([
      ['ti', 'info-nce', 'image-caption', 1],
      ['qc', 'info-nce', 'query-chunk', 0.5],
      ['intent', 'intent-ce', 'query-nlu', 0.3],
      ['slot', 'slot-ce', 'query-nlu', 0.3],
      ['align', 'mse-align', 'query-semantic', 0.3],
    ]);
    for (const s of [s1!, s2!, s3!]) expect(Object.values(s.data).reduce((a, b) => a + b!, 0)).toBeCloseTo(1, 12);
  });

  it('coefficients flow into the weights they name', () => {
    const [s1, , s3] = resolveCurriculum(
      { id: 'three-stage', stages: { stage1: { weights: { alpha: 0.2 } }, stage3: { weights: { a: 2, b: 0.1 } } } },
      registry,
    );
    expect(s1!.terms.map((t) => t.weight)).toEqual([1, 0.2, 0.2]);
    expect(s3!.terms.map((t) => t.weight)).toEqual([1, 2, 0.1, 0.1, 0.1]);
  });

  it("single-stage: the stage-3 loss for the sum of three-stage's steps", () => {
    const [three3] = resolveCurriculum(
      { id: 'three-stage', steps: { stage1: 30, stage2: 20, stage3: 10 } },
      registry,
    ).slice(2);
    const single = resolveCurriculum({ id: 'single-stage', steps: { stage1: 30, stage2: 20, stage3: 10 } }, registry);
    expect(single).toHaveLength(1);
    expect(single[0]).toMatchObject({
      name: 'joint',
      until: { steps: 60 },
      trainable: ['text', 'image', 'nlu', 'fusion'],
    });
    expect(single[0]!.terms).toEqual(three3!.terms);
    expect(resolveCurriculum({ id: 'single-stage' }, registry)[0]!.until).toEqual({ steps: 1200 });
  });

  it("single-stage takes a three-stage experiment's stage-3 overlay as its joint stage's and drops stage-1/2 overlays", () => {
    const stages = {
      stage1: { captionsPerImage: 4, weights: { alpha: 1 } },
      stage2: { batchSize: 64 },
      stage3: {
        captionsPerImage: 4,
        weights: { a: 0.25 },
        data: { 'image-caption': 0.5, 'query-chunk': 0.3, 'query-nlu': 0.1, 'query-semantic': 0.1 },
      },
    };
    const three = resolveCurriculum({ id: 'three-stage', stages }, registry);
    const [joint] = resolveCurriculum({ id: 'single-stage', stages }, registry);
    expect(joint).toMatchObject({ name: 'joint', captionsPerImage: 4, weights: { a: 0.25 }, data: three[2]!.data });
    expect(joint!.terms).toEqual(three[2]!.terms);
    expect(joint!.batchSize).toBeUndefined();
    // three-stage still refuses a stage it does not have
    expect(() => resolveCurriculum({ id: 'three-stage', stages: { joint: { batchSize: 8 } } }, registry)).toThrow(
      /curriculum\.stages\.joint/,
    );
  });

  it('custom: the experiment declares every stage', () => {
    const stages = resolveCurriculum(
      {
        id: 'custom',
        stages: {
          warm: {
            until: { steps: 3 },
            train: ['text'],
            terms: [{ name: 'tc', loss: 'info-nce', pair: 'caption-chunk' }],
          },
          nlu: {
            until: { epochs: 2 },
            train: ['nlu'],
            terms: [{ name: 'intent', loss: 'intent-ce', pair: 'query-nlu', weight: 2 }],
          },
        },
      },
      registry,
    );
    expect(stages.map((s) => [s.name, s.trainable, s.terms[0]!.weight])).toEqual([
      ['warm', ['text'], 1],
      ['nlu', ['nlu'], 2],
    ]);
    expect(() => resolveCurriculum({ id: 'custom' }, registry)).toThrow(
      'curriculum.stages: no stage left to run (all skipped); un-skip one',
    );
  });
});

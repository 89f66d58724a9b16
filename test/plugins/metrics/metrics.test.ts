import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricAt, mergeMetrics, type EvalInputs, type MetricPlugin } from '../../../src/core/eval/metric';
import { MetricsSchema } from '../../../src/core/eval/metrics-schema';
import { nluMetrics, type NluExample } from '../../../src/core/eval/nlu';
import { retrievalMetrics } from '../../../src/core/eval/retrieval';
import { createRegistry } from '../../../src/plugins';
import { BUILTIN_METRICS } from '../../../src/plugins/metrics';
import { randomSplit } from '../../core/eval/random-split';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function inputs(): EvalInputs {
  const { set, plain } = randomSplit(11, { images: 12, captions: 30, chunks: 30, queries: 30 }, 5);
  const tags = ['O', 'B-object', 'I-object'];
  const nlu: NluExample[] = set.ids
    .map((_, i) => i)
    .filter((i) => set.kind[i] === 'query')
    .map((i, k) => ({
      lang: set.lang[i]!,
      intent: k % 3 ? 'find_image' : 'find_document',
      predIntent: k % 4 ? 'find_image' : 'find_document',
      tags,
      predTags: k % 2 ? tags : ['B-object', 'I-object', 'O'],
    }));
  return {
    split: 'test',
    embeddings: set,
    queriesWithoutNlu: plain,
    nlu,
    intentLabels: ['find_image', 'find_document'],
  };
}

describe.each([...BUILTIN_METRICS] as MetricPlugin[])('metric $id', (plugin) => {
  it('is a frozen metric plugin whose schema parses {}', () => {
    expect(plugin.kind).toBe('metric');
    expect(Object.isFrozen(plugin)).toBe(true);
    expect(plugin.summary).not.toContain('\n');
    expect(() => plugin.configSchema.parse({})).not.toThrow();
    expect(typeof plugin.greaterIsBetter).toBe('boolean');
  });

  it('writes valid metrics.json content whose primaryKey is a number, leaking no tensors', () => {
    const before = tf.memory().numTensors;
    const m = plugin.create(plugin.configSchema.parse({}), {}).evaluate(inputs());
    expect(tf.memory().numTensors).toBe(before);
    expect(MetricsSchema.safeParse(m).error).toBeUndefined();
    expect(metricAt(m, plugin.primaryKey)).toBeTypeOf('number');
  });

  it('returns nothing when its inputs are absent', () => {
    expect(plugin.create(plugin.configSchema.parse({}), {}).evaluate({ split: 'test' })).toEqual({});
  });
});

describe('metric plugins', () => {
  it('are registered, and an unknown id gets a did-you-mean', () => {
    const reg = createRegistry({ warn: () => {} });
    expect(reg.list('metric').map((p) => p.id)).toEqual(['nlu', 'retrieval']);
    expect(() => reg.get('metric', 'retreival')).toThrow(
      "unknown metric 'retreival'. Known: nlu, retrieval. Did you mean 'retrieval'?",
    );
    expect(() => reg.parseConfig('metric', 'retrieval', { tasks: ['t2x'] }, 'eval.metrics[0]')).toThrow(
      /^eval\.metrics\[0\]\.tasks\[0\]: Invalid option/,
    );
  });

  it('retrieval passes its config through and equals the pure function; nlu equals nluMetrics', () => {
    const reg = createRegistry({ warn: () => {} });
    const x = inputs();
    const r = reg
      .create('metric', 'retrieval', { tasks: ['q2i', 't2t'], crossLingual: false, engine: 'js' })
      .evaluate(x);
    const pure = retrievalMetrics(
      x.embeddings!,
      { tasks: ['q2i', 't2t'], crossLingual: false, engine: 'js' },
      x.queriesWithoutNlu,
    );
    expect(r).toEqual({ retrieval: pure.retrieval, nluContribution: pure.nluContribution });
    expect(Object.keys(pure.nluContribution!).sort()).toEqual(['q2i', 't2t']);
    const n = reg.create('metric', 'nlu', { confusion: false }).evaluate(x);
    expect(n).toEqual({ nlu: nluMetrics(x.nlu!, x.intentLabels).nlu });
  });

  it('mergeMetrics combines plugin outputs key by key; metricAt reads dotted keys', () => {
    const m = mergeMetrics(
      { retrieval: { t2i: { mean: { 'R@1': 0.1 } } } } as never,
      { retrieval: { i2t: { mean: { 'R@1': 0.2 } } } } as never,
      { nlu: { slotF1: { mean: 0.5 } } },
    );
    expect(metricAt(m, 'retrieval.t2i.mean.R@1')).toBe(0.1);
    expect(metricAt(m, 'retrieval.i2t.mean.R@1')).toBe(0.2);
    expect(metricAt(m, 'nlu.slotF1.mean')).toBe(0.5);
    expect(metricAt(m, 'nlu.slotF1.en')).toBeUndefined();
  });
});

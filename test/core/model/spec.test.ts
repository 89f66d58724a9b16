import { describe, expect, it } from 'vitest';
import { ModelSpecSchema, parseModelSpec } from '../../../src/core/model/spec';
import type { ModelSpecParser } from '../../../src/core/config/experiment';
import { createRegistry } from '../../../src/plugins';

const reg = createRegistry({ warn: () => undefined });
const parse = (s: unknown) => parseModelSpec(s, 'model', reg);

describe('model spec', () => {
  it('parses {} to the paper-shaped default: word-ngram, text-transformer, image-vit, nlu-transformer, cross-attention', () => {
    expect(ModelSpecSchema.safeParse({}).success).toBe(true);
    const s = parse({});
    expect(s.dim).toBe(128);
    expect([s.tokenizer.id, s.text.id, s.image.id, s.nlu.id, s.fusion.id]).toEqual([
      'word-ngram',
      'text-transformer',
      'image-vit',
      'nlu-transformer',
      'cross-attention',
    ]);
    expect(s.text).toEqual({
      id: 'text-transformer',
      hidden: 128,
      layers: 2,
      heads: 4,
      mlpRatio: 2,
      dropout: 0,
      pooling: 'mean',
    });
    expect(s.fusion).toEqual({ id: 'cross-attention', heads: 4, gateInit: 0.1 });
    expect(parse(s)).toEqual(s); // idempotent: a parsed spec (as saved with a run) parses to itself
    const parser: ModelSpecParser = (spec, where, r) => parseModelSpec(spec, where, r); // what resolveExperiment takes
    expect(parser({ dim: 16 }, 'model', reg).dim).toBe(16);
  });

  it('fills plugin defaults beside the given fields', () => {
    const s = parse({ dim: 64, image: { id: 'image-cnn', channels: [8, 16] }, fusion: { id: 'late' } });
    expect(s.image).toEqual({
      id: 'image-cnn',
      imageSize: 32,
      channels: [8, 16],
      kernel: 3,
      pool: 'max',
      separable: false,
    });
    expect(s.fusion).toEqual({ id: 'late', gateInit: 0.1 });
  });

  it('reports bad input as one line with the full path', () => {
    const msg = (s: unknown) => {
      try {
        parse(s);
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(msg({ text: { id: 'text-transformer', layers: 0 } })).toBe(
      'model.text.layers: Too small: expected number to be >=1',
    );
    expect(msg({ text: { id: 'text-transformer', hidden: 30 } })).toBe(
      'model.text.heads: heads 4 must divide hidden 30',
    );
    expect(msg({ fusion: { id: 'cross-atention' } })).toBe(
      "model.fusion: unknown fusion 'cross-atention'. Known: cross-attention, late, none. Did you mean 'cross-attention'?",
    );
    expect(msg({ image: { id: 'text-transformer' } })).toBe(
      "model.image.id: 'text-transformer' is a text encoder; use one of image-cnn, image-onnx, image-tfjs, image-vit, tfjs-graph",
    );
    expect(msg({ nlu: { id: 'image-vit' } })).toBe(
      "model.nlu.id: 'image-vit' is an image encoder; use one of nlu-transformer",
    );
    expect(msg({ dims: 3 })).toBe(
      "model.dims: unknown field; valid fields here: dim, tokenizer, text, image, nlu, fusion, teacher; did you mean 'dim'?",
    );
    expect(msg({ text: { id: 'text-transformer', pooling: 'max' } })).toBe(
      'model.text.pooling: Invalid option: expected one of "mean"|"cls"',
    );
  });
});

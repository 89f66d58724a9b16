import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Registry, pluginDefiner } from '../../../src/core/registry';
import { createRegistry } from '../../../src/plugins';

const defineLoss = pluginDefiner('loss')<unknown, unknown>();
const stripped = defineLoss({
  id: 'plain',
  summary: 'z.object',
  configSchema: z.object({ temperature: z.number().default(0.07) }),
  create: (c) => c,
});
const loose = defineLoss({
  id: 'loose',
  summary: 'z.looseObject',
  configSchema: z.looseObject({ temperature: z.number().default(0.07) }),
  create: (c) => c,
});

describe('parseConfig: a config key the plugin does not declare is an error, not silently dropped', () => {
  const r = new Registry();
  r.register(stripped);
  r.register(loose);

  it('names the key, the plugin, its fields and the closest one (z.object, which strips unknown keys)', () => {
    expect(() => r.parseConfig('loss', 'plain', { temprature: 0.1 }, 'curriculum.stages.s.terms[0].config')).toThrow(
      "curriculum.stages.s.terms[0].config.temprature: unknown field of loss 'plain'; its fields: temperature. Did you mean 'temperature'?",
    );
    expect(r.parseConfig('loss', 'plain', { temperature: 0.1 })).toEqual({ temperature: 0.1 });
  });

  it('a plugin that declares a loose object keeps accepting extra keys', () => {
    expect(r.parseConfig('loss', 'loose', { temperature: 0.1, extra: 1 })).toEqual({ temperature: 0.1, extra: 1 });
  });

  it('holds for the built-ins declared with z.object: datasets, losses, indexes, metrics', () => {
    const reg = createRegistry({ warn: () => {} });
    expect(() => reg.parseConfig('dataset', 'emoji-cldr', { languagse: ['en'] }, 'data.dataset')).toThrow(
      "data.dataset.languagse: unknown field of dataset 'emoji-cldr'; its fields: root, languages, build, checkImages. Did you mean 'languages'?",
    );
    expect(() => reg.parseConfig('loss', 'mse-align', { weight: 2 }, 'x')).toThrow(
      "x.weight: unknown field of loss 'mse-align'; its fields: (none)",
    );
    expect(() => reg.parseConfig('index', 'exact', { nprobe: 3 }, '--index')).toThrow(
      /^--index\.nprobe: unknown field of index 'exact'/,
    );
    // a config that went through parseConfig once (defaults filled in) parses again unchanged
    const ds = reg.parseConfig('dataset', 'manifest', { path: 'm.jsonl' }, 'data.dataset');
    expect(reg.parseConfig('dataset', 'manifest', ds, 'data.dataset')).toEqual(ds);
  });
});

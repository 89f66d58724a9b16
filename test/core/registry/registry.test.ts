import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Registry, formatZodError, pluginDefiner } from '../../../src/core/registry';
import { UserError, didYouMean, editDistance } from '../../../src/core/errors';
import { BUILTINS, createRegistry } from '../../../src/plugins';

const defineLoss = pluginDefiner('loss')<unknown, { weight: number }>();
const schema = z.object({ weight: z.number().min(0).default(1), temperature: z.number().positive().default(0.07) });
const a = defineLoss({ id: 'info-nce', summary: 'A', configSchema: schema, create: (c) => ({ weight: c.weight }) });
const b = defineLoss({ id: 'siglip', summary: 'B', configSchema: schema, create: (c) => ({ weight: c.weight * 2 }) });

function fresh() {
  const warnings: string[] = [];
  const r = new Registry({ warn: (m) => warnings.push(m) });
  r.register(a);
  r.register(b);
  return { r, warnings };
}

describe('Registry', () => {
  it('gets, lists sorted by id and creates with defaults filled in', () => {
    const { r } = fresh();
    expect(r.get('loss', 'siglip')).toBe(b);
    expect(r.list('loss').map((p) => p.id)).toEqual(['info-nce', 'siglip']);
    expect(r.create('loss', 'siglip', { weight: 3 })).toEqual({ weight: 6 });
    expect(r.parseConfig('loss', 'info-nce', undefined)).toEqual({ weight: 1, temperature: 0.07 });
    expect(r.defaults(a)).toEqual({ weight: 1, temperature: 0.07 });
  });

  it('re-registering an id replaces it with one warning; the same object twice is silent', () => {
    const { r, warnings } = fresh();
    r.register(a);
    expect(warnings).toEqual([]);
    const a2 = defineLoss({ id: 'info-nce', summary: 'A2', configSchema: schema, create: () => ({ weight: 42 }) });
    r.register(a2);
    expect(warnings).toEqual([
      "unir: loss 'info-nce' re-registered; the new definition replaces the old one (notebook re-run?)",
    ]);
    expect(r.create('loss', 'info-nce', {})).toEqual({ weight: 42 });
    expect(r.list('loss')).toHaveLength(2);
  });

  it('an unknown id fails with the known ids and a did-you-mean', () => {
    const { r } = fresh();
    expect(() => r.get('loss', 'infonce', 'curriculum.stages.stage1.terms[0].loss')).toThrowError(
      new UserError(
        "curriculum.stages.stage1.terms[0].loss: unknown loss 'infonce'. Known: info-nce, siglip. Did you mean 'info-nce'?",
      ),
    );
    expect(() => r.get('loss', 'zzzzzzzz')).toThrowError("unknown loss 'zzzzzzzz'. Known: info-nce, siglip.");
  });

  it('a bad config names the path of the bad field', () => {
    const { r } = fresh();
    expect(() =>
      r.parseConfig('loss', 'info-nce', { weight: -1 }, 'curriculum.stages[2].losses.mse-align'),
    ).toThrowError(/^curriculum\.stages\[2\]\.losses\.mse-align\.weight: Too small: expected number to be >=0$/);
  });

  it('rejects ids that are not kebab-case and unknown kinds', () => {
    const { r } = fresh();
    expect(() => r.register({ ...a, id: 'InfoNCE' })).toThrowError(/must be kebab-case/);
    expect(() => r.register({ ...a, kind: 'lossy' as 'loss' })).toThrowError(/unknown plugin kind 'lossy'/);
  });

  it('formatZodError writes array indices in brackets', () => {
    const s = z.object({ stages: z.array(z.object({ w: z.number() })) });
    const r = s.safeParse({ stages: [{ w: 1 }, { w: 'x' }] });
    expect(r.success).toBe(false);
    expect(formatZodError(r.error!, 'curriculum')).toBe(
      'curriculum.stages[1].w: Invalid input: expected number, received string',
    );
  });
});

describe('did you mean', () => {
  it('edit distance matches a brute-force definition on small cases', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('info-nce', 'infonce')).toBe(1);
    expect(didYouMean('siglp', ['info-nce', 'siglip'])).toBe('siglip');
    expect(didYouMean('completely-else', ['info-nce', 'siglip'])).toBeUndefined();
  });
});

describe('built-ins', () => {
  it('every built-in has a kebab-case id, a one-line summary and a schema that parses {}', () => {
    const r = createRegistry({ warn: () => {} });
    for (const p of BUILTINS) {
      expect(r.get(p.kind, p.id)).toBe(p);
      expect(p.summary.length).toBeGreaterThan(0);
      expect(p.summary).not.toContain('\n');
      expect(p.configSchema.safeParse({}).success, `${p.kind} ${p.id} defaults`).toBe(true);
    }
  });
});

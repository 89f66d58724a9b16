import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmojiCatalog, type EmojiEntry } from '../../../../src/plugins/datasets/emoji-cldr/catalog';
import {
  EMOJI_CLDR_LANGUAGES,
  INTENTS,
  RETRIEVAL_INTENTS,
} from '../../../../src/plugins/datasets/emoji-cldr/languages';
import { formatCounts, planEmojiCldr, type EmojiCldrPlan } from '../../../../src/plugins/datasets/emoji-cldr/plan';
import {
  composeQuery,
  FUTURE_TIMES,
  generateQueries,
  PAST_TIMES,
  type GeneratedQuery,
} from '../../../../src/plugins/datasets/emoji-cldr/queries';
import { TEMPLATES } from '../../../../src/plugins/datasets/emoji-cldr/templates';
import type { TemplatePool } from '../../../../src/plugins/datasets/emoji-cldr/templates/types';
import { createDataset } from '../../../../src/core/data/dataset';
import { subsetRecords } from '../../../../src/core/data/subset';

let catalog: EmojiEntry[];
let plan: EmojiCldrPlan;
beforeAll(() => {
  catalog = loadEmojiCatalog();
  plan = planEmojiCldr(catalog, { seed: 13 });
});

/** Oracle: boundaries straight from a fresh Intl.Segmenter, as the tokenizer segments words. */
function boundaries(text: string, lang: string): Set<number> {
  const b = new Set<number>([0, text.length]);
  for (const s of new Intl.Segmenter(lang, { granularity: 'word' }).segment(text))
    b.add(s.index).add(s.index + s.segment.length);
  return b;
}

describe('generated NLU queries', () => {
  it('exist for all 12 languages and every split, ~2 per concept plus ~20% non-retrieval', () => {
    const langs = new Set(plan.queries.map((q) => q.lang));
    expect([...langs].sort()).toEqual([...EMOJI_CLDR_LANGUAGES].sort());
    for (const split of ['train', 'val', 'test', 'test-unseen'])
      for (const lang of EMOJI_CLDR_LANGUAGES) {
        const qs = plan.queries.filter((q) => q.split === split && q.lang === lang && q.subset === 'seen');
        const groups = new Set(qs.filter((q) => q.group !== null).map((q) => q.group));
        const retrieval = qs.filter((q) => q.group !== null).length;
        expect(retrieval / groups.size, `${split}/${lang}`).toBeCloseTo(2, 1);
        expect((qs.length - retrieval) / qs.length, `${split}/${lang}`).toBeCloseTo(0.2, 1);
      }
  });

  it('round-trip for ALL queries: semanticText is the object span, slots are exact, ordered, disjoint and on word boundaries', () => {
    const bad: string[] = [];
    for (const q of plan.queries) {
      const objects = q.slots.filter((s) => s.label === 'object');
      if (objects.length !== 1) bad.push(`${q.id}: ${objects.length} object slots`);
      const o = objects[0]!;
      if (q.text.slice(o.start, o.end) !== q.semanticText)
        bad.push(`${q.id}: object span '${q.text.slice(o.start, o.end)}' ≠ '${q.semanticText}'`);
      const b = boundaries(q.text, q.lang);
      let prevEnd = 0;
      for (const s of q.slots) {
        if (!(s.start >= prevEnd && s.end > s.start && s.end <= q.text.length))
          bad.push(`${q.id}: slot ${s.label} [${s.start}, ${s.end}) out of order`);
        if (!b.has(s.start) || !b.has(s.end))
          bad.push(`${q.id}: slot ${s.label} not on word boundaries in '${q.text}'`);
        if (!/^[a-z][a-z0-9_]*$/.test(s.label)) bad.push(`${q.id}: label ${s.label}`);
        prevEnd = s.end;
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(plan.queries.length).toBeGreaterThan(60_000);
  });

  it('time slots are exactly Intl.RelativeTimeFormat(lang, { numeric: auto }) output: past for find_*, future for reminders', () => {
    const rtf = new Map(
      EMOJI_CLDR_LANGUAGES.map((l) => [l as string, new Intl.RelativeTimeFormat(l, { numeric: 'auto' })]),
    );
    const key = (t: { value: number; unit: string }) => `${t.value} ${t.unit}`;
    const past = new Set(PAST_TIMES.map(key));
    const future = new Set(FUTURE_TIMES.map(key));
    const bad: string[] = [];
    let withTime = 0;
    for (const q of plan.queries) {
      const t = q.slots.find((s) => s.label === 'time');
      if (Boolean(t) !== (q.time !== undefined)) bad.push(`${q.id}: time slot without time spec or vice versa`);
      if (!t || !q.time) continue;
      withTime++;
      const want = rtf.get(q.lang)!.format(q.time.value, q.time.unit);
      if (q.text.slice(t.start, t.end) !== want) bad.push(`${q.id}: '${q.text.slice(t.start, t.end)}' ≠ '${want}'`);
      if (!(RETRIEVAL_INTENTS.includes(q.intent) ? past : future).has(key(q.time)))
        bad.push(`${q.id}: ${key(q.time)} for ${q.intent}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(withTime / plan.queries.length).toBeGreaterThan(0.2);
    const en = plan.queries.find((q) => q.lang === 'en' && q.time?.value === -1 && q.time.unit === 'month');
    expect(en?.text).toContain('last month');
  });

  it('targets the group of the object for retrieval intents and null otherwise', () => {
    const labels = new Map<string, Set<string>>(); // group/lang → labels
    for (const c of plan.concepts)
      for (const m of c.members)
        for (const [lang, l] of Object.entries(m.label)) {
          const k = `${c.id}/${lang}`;
          labels.set(k, (labels.get(k) ?? new Set()).add(l));
        }
    const all = new Set(catalog.flatMap((e) => Object.values(e.label)));
    const bad: string[] = [];
    for (const q of plan.queries) {
      if (RETRIEVAL_INTENTS.includes(q.intent)) {
        if (q.group === null || !labels.get(`${q.group}/${q.lang}`)?.has(q.semanticText))
          bad.push(`${q.id}: '${q.semanticText}' is no label of ${q.group}`);
      } else if (q.group !== null || !all.has(q.semanticText)) bad.push(`${q.id}: ${q.intent} with group ${q.group}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(new Set(plan.queries.map((q) => q.intent))).toEqual(
      new Set(['find_image', 'find_document', 'set_reminder', 'play_music']),
    );
  });

  it('is deterministic: the same seed gives the same queries, another seed different ones', () => {
    const concepts = plan.concepts.filter((c) => c.split === 'val');
    const a = generateQueries({ concepts, split: 'val', lang: 'ja', seed: 13 });
    const b = generateQueries({ concepts, split: 'val', lang: 'ja', seed: 13 });
    const c = generateQueries({ concepts, split: 'val', lang: 'ja', seed: 7 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
    expect(JSON.stringify(a)).toBe(JSON.stringify(plan.queries.filter((q) => q.split === 'val' && q.lang === 'ja')));
  });

  it('inserts a space only where a join without spaces would split a slot edge off a word', () => {
    for (const [lang, template, object] of [
      ['zh', '搜索{object}的表情', '不说'],
      ['th', 'หารูป{object}ให้หน่อย', 'หน้ายิ้ม'],
      ['ja', '{object}の画像を探して', '魚'],
      ['en', 'find {object}', 'dog face'],
    ] as const) {
      const { text, slots } = composeQuery(lang, template, { object });
      const naive = template.replace('{object}', object);
      expect(text.replace(/ /g, '')).toBe(naive.replace(/ /g, ''));
      if (lang === 'en') expect(text).toBe(naive);
      const b = boundaries(text, lang);
      expect(b.has(slots[0]!.start) && b.has(slots[0]!.end)).toBe(true);
      expect(text.slice(slots[0]!.start, slots[0]!.end)).toBe(object);
    }
  });
});

/** The query with its slots replaced by {label} and all whitespace removed: what template + noise left. */
const skeleton = (q: GeneratedQuery) => {
  let out = '';
  let at = 0;
  for (const sl of q.slots) {
    out += q.text.slice(at, sl.start) + `{${sl.label}}`;
    at = sl.end;
  }
  return (out + q.text.slice(at)).replace(/\s+/g, '');
};
const strip = (s: string) => s.replace(/\s+/g, '');
/** Every pre + template + post of a pool for one intent, whitespace removed. */
const combos = (p: TemplatePool, intent: (typeof INTENTS)[number]) =>
  new Set(p.pre.flatMap((a) => p.intents[intent].flatMap((t) => p.post.map((b) => strip(a + t + b)))));

describe('held-out templates and noise', () => {
  it('every language and intent reserves ≥ 1 template and ≥ 1 non-empty pre and post that the seen pool lacks', () => {
    for (const lang of EMOJI_CLDR_LANGUAGES) {
      const t = TEMPLATES[lang];
      expect(t.heldOut.pre.filter(Boolean).length, lang).toBeGreaterThanOrEqual(1);
      expect(t.heldOut.post.filter(Boolean).length, lang).toBeGreaterThanOrEqual(1);
      for (const x of [...t.heldOut.pre, ...t.heldOut.post].filter(Boolean))
        expect([...t.pre, ...t.post], `${lang} '${x}'`).not.toContain(x);
      for (const intent of INTENTS) {
        expect(t.heldOut.intents[intent].length, `${lang}/${intent}`).toBeGreaterThanOrEqual(1);
        expect(t.intents[intent].length, `${lang}/${intent}`).toBeGreaterThanOrEqual(3);
        const seen = new Set(INTENTS.flatMap((i) => t.intents[i]));
        for (const h of t.heldOut.intents[intent]) {
          expect(seen.has(h), `${lang}: '${h}' is also a seen template`).toBe(false);
          expect(h.match(/\{object\}/g)?.length, h).toBe(1);
          if (intent === 'play_music') expect(h, h).not.toContain('{time}');
        }
      }
    }
  });

  it('no held-out template or noise string appears in any train / val query; each is exactly seen pre + template + post', () => {
    const bad: string[] = [];
    const seenCombos = new Map<string, Set<string>>();
    const heldCombos = new Map<string, Set<string>>();
    for (const lang of EMOJI_CLDR_LANGUAGES)
      for (const intent of INTENTS) {
        seenCombos.set(`${lang}/${intent}`, combos(TEMPLATES[lang], intent));
        heldCombos.set(`${lang}/${intent}`, combos(TEMPLATES[lang].heldOut, intent));
      }
    let n = 0;
    for (const q of plan.queries) {
      if (q.split !== 'train' && q.split !== 'val') continue;
      n++;
      const t = TEMPLATES[q.lang as keyof typeof TEMPLATES];
      const sk = skeleton(q);
      if (q.subset !== 'seen') bad.push(`${q.id}: subset ${q.subset}`);
      if (!seenCombos.get(`${q.lang}/${q.intent}`)!.has(sk))
        bad.push(`${q.id}: '${q.text}' is not a seen pre + template + post`);
      for (const h of INTENTS.flatMap((i) => t.heldOut.intents[i]))
        if (sk.includes(strip(h))) bad.push(`${q.id}: held-out template '${h}' in '${q.text}'`);
      for (const x of t.heldOut.pre.filter(Boolean))
        if (sk.startsWith(strip(x)) || q.text.startsWith(x)) bad.push(`${q.id}: held-out pre '${x}' in '${q.text}'`);
      for (const x of t.heldOut.post.filter(Boolean))
        if (sk.endsWith(strip(x)) || q.text.endsWith(x)) bad.push(`${q.id}: held-out post '${x}' in '${q.text}'`);
      for (const x of [...t.heldOut.pre, ...t.heldOut.post].filter(Boolean))
        if (sk.includes(strip(x))) bad.push(`${q.id}: held-out noise '${x}' in '${q.text}'`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(n).toBe(30_660 + 3_816);
    // and the held-out queries are exactly held-out pre + template + post, never a seen combination
    for (const q of plan.queries.filter((x) => x.subset === 'held-out')) {
      const sk = skeleton(q);
      if (!heldCombos.get(`${q.lang}/${q.intent}`)!.has(sk))
        bad.push(`${q.id}: '${q.text}' is not a held-out pre + template + post`);
      if (seenCombos.get(`${q.lang}/${q.intent}`)!.has(sk)) bad.push(`${q.id}: '${q.text}' is also a seen combination`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('the test splits hold an equal-sized held-out twin of every seen query: same intent, object and group, in every language × intent', () => {
    for (const split of ['test', 'test-unseen']) {
      const qs = plan.queries.filter((q) => q.split === split);
      const seen = qs.filter((q) => q.subset === 'seen');
      const held = qs.filter((q) => q.subset === 'held-out');
      expect(held.length, split).toBe(seen.length);
      expect(held.length + seen.length, split).toBe(qs.length);
      const byId = new Map(qs.map((q) => [q.id, q]));
      for (const h of held) {
        const twin = byId.get(h.id.replace(/\/h(\d+)\//, '/$1/'))!;
        expect(twin.subset).toBe('seen');
        expect([h.intent, h.group, h.lang, h.semanticText]).toEqual([
          twin.intent,
          twin.group,
          twin.lang,
          twin.semanticText,
        ]);
      }
      for (const lang of EMOJI_CLDR_LANGUAGES)
        for (const intent of INTENTS) {
          const n = held.filter((q) => q.lang === lang && q.intent === intent).length;
          expect(n, `${split}/${lang}/${intent}`).toBeGreaterThan(split === 'test' ? 200 : 50);
          // several held-out templates per language × intent are in use, not just one
          const h = TEMPLATES[lang].heldOut;
          const templateOf = new Map(
            h.intents[intent].flatMap((t) => h.pre.flatMap((a) => h.post.map((b) => [strip(a + t + b), t] as const))),
          );
          const used = new Set(
            held.filter((q) => q.lang === lang && q.intent === intent).map((q) => templateOf.get(skeleton(q))),
          );
          expect(used.size, `${split}/${lang}/${intent}`).toBe(TEMPLATES[lang].heldOut.intents[intent].length);
        }
    }
    for (const split of ['train', 'val'])
      expect(plan.queries.filter((q) => q.split === split && q.subset !== 'seen')).toEqual([]);
    expect(plan.counts.heldOutQueries.test!.en).toBe(2555);
    expect(Object.keys(plan.counts.heldOutQueries).sort()).toEqual(['test', 'test-unseen']);
    expect(formatCounts(plan.counts)).toContain('| test queries held-out | 2555 |');
  });

  it('is deterministic, and the seen queries do not depend on whether held-out twins are generated', () => {
    const concepts = plan.concepts.filter((c) => c.split === 'unseen');
    const a = generateQueries({ concepts, split: 'test-unseen', lang: 'ko', seed: 13 });
    const b = generateQueries({ concepts, split: 'test-unseen', lang: 'ko', seed: 13 });
    const seenOnly = generateQueries({ concepts, split: 'test-unseen', lang: 'ko', seed: 13, heldOut: false });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(a.filter((q) => q.subset === 'seen'))).toBe(JSON.stringify(seenOnly));
    expect(a.filter((q) => q.subset === 'held-out')).toHaveLength(seenOnly.length);
    expect(JSON.stringify(a)).toBe(
      JSON.stringify(plan.queries.filter((q) => q.split === 'test-unseen' && q.lang === 'ko')),
    );
    expect(new Set(a.map((q) => q.id)).size).toBe(a.length);
  });

  it('a run on a subset of groups (subsetRecords) keeps seen and held-out queries in proportion, in every language × intent', () => {
    const records = [...plan.images, ...plan.texts, ...plan.queries].map((r, line) => ({ ...r, line }));
    const ds = createDataset({
      name: 'emoji-cldr',
      root: '/tmp',
      manifestPath: '/tmp/manifest.jsonl',
      records: records as never,
    });
    const test = ds.split('test');
    for (const seed of [0, 1]) {
      const sub = subsetRecords(test, { maxGroups: 400, seed });
      const held = sub.queries.filter((q) => q.subset === 'held-out');
      const seen = sub.queries.filter((q) => q.subset === 'seen');
      // grouped queries follow their group, so twins stay together; group-less ones are drawn by id
      expect(held.filter((q) => q.group !== null).length).toBe(seen.filter((q) => q.group !== null).length);
      expect(held.length / sub.queries.length).toBeGreaterThan(0.48);
      expect(held.length / sub.queries.length).toBeLessThan(0.52);
      expect(sub.queries.length / test.queries.length).toBeCloseTo(400 / 1022, 1);
      for (const lang of EMOJI_CLDR_LANGUAGES)
        for (const intent of INTENTS) {
          const n = held.filter((q) => q.lang === lang && q.intent === intent).length;
          expect(n, `${seed} ${lang} ${intent}`).toBeGreaterThan(20);
        }
    }
  });
});

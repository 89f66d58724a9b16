import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmojiCatalog, type EmojiEntry } from '../../../../src/core/data/emoji-cldr/catalog';
import { EMOJI_CLDR_LANGUAGES, RETRIEVAL_INTENTS } from '../../../../src/core/data/emoji-cldr/languages';
import { planEmojiCldr, type EmojiCldrPlan } from '../../../../src/core/data/emoji-cldr/plan';
import { composeQuery, FUTURE_TIMES, generateQueries, PAST_TIMES } from '../../../../src/core/data/emoji-cldr/queries';

let catalog: EmojiEntry[];
let plan: EmojiCldrPlan;
beforeAll(() => {
  catalog = loadEmojiCatalog();
  plan = planEmojiCldr(catalog, { seed: 13 });
});

/** Oracle: boundaries straight from a fresh Intl.Segmenter, as the tokenizer segments words. */
function boundaries(text: string, lang: string): Set<number> {
  const b = new Set<number>([0, text.length]);
  for (const s of new Intl.Segmenter(lang, { granularity: 'word' }).segment(text)) b.add(s.index).add(s.index + s.segment.length);
  return b;
}

describe('generated NLU queries', () => {
  it('exist for all 12 languages and every split, ~2 per concept plus ~20% non-retrieval', () => {
    const langs = new Set(plan.queries.map((q) => q.lang));
    expect([...langs].sort()).toEqual([...EMOJI_CLDR_LANGUAGES].sort());
    for (const split of ['train', 'val', 'test', 'test-unseen']) for (const lang of EMOJI_CLDR_LANGUAGES) {
      const qs = plan.queries.filter((q) => q.split === split && q.lang === lang);
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
      if (q.text.slice(o.start, o.end) !== q.semanticText) bad.push(`${q.id}: object span '${q.text.slice(o.start, o.end)}' ≠ '${q.semanticText}'`);
      const b = boundaries(q.text, q.lang);
      let prevEnd = 0;
      for (const s of q.slots) {
        if (!(s.start >= prevEnd && s.end > s.start && s.end <= q.text.length)) bad.push(`${q.id}: slot ${s.label} [${s.start}, ${s.end}) out of order`);
        if (!b.has(s.start) || !b.has(s.end)) bad.push(`${q.id}: slot ${s.label} not on word boundaries in '${q.text}'`);
        if (!/^[a-z][a-z0-9_]*$/.test(s.label)) bad.push(`${q.id}: label ${s.label}`);
        prevEnd = s.end;
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(plan.queries.length).toBeGreaterThan(60_000);
  });

  it('time slots are exactly Intl.RelativeTimeFormat(lang, { numeric: auto }) output: past for find_*, future for reminders', () => {
    const rtf = new Map(EMOJI_CLDR_LANGUAGES.map((l) => [l as string, new Intl.RelativeTimeFormat(l, { numeric: 'auto' })]));
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
      if (!(RETRIEVAL_INTENTS.includes(q.intent) ? past : future).has(key(q.time))) bad.push(`${q.id}: ${key(q.time)} for ${q.intent}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(withTime / plan.queries.length).toBeGreaterThan(0.2);
    const en = plan.queries.find((q) => q.lang === 'en' && q.time?.value === -1 && q.time.unit === 'month');
    expect(en?.text).toContain('last month');
  });

  it('targets the group of the object for retrieval intents and null otherwise', () => {
    const labels = new Map<string, Set<string>>(); // group/lang → labels
    for (const c of plan.concepts) for (const m of c.members) for (const [lang, l] of Object.entries(m.label)) {
      const k = `${c.id}/${lang}`;
      labels.set(k, (labels.get(k) ?? new Set()).add(l));
    }
    const all = new Set(catalog.flatMap((e) => Object.values(e.label)));
    const bad: string[] = [];
    for (const q of plan.queries) {
      if (RETRIEVAL_INTENTS.includes(q.intent)) {
        if (q.group === null || !labels.get(`${q.group}/${q.lang}`)?.has(q.semanticText)) bad.push(`${q.id}: '${q.semanticText}' is no label of ${q.group}`);
      } else if (q.group !== null || !all.has(q.semanticText)) bad.push(`${q.id}: ${q.intent} with group ${q.group}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(new Set(plan.queries.map((q) => q.intent))).toEqual(new Set(['find_image', 'find_document', 'set_reminder', 'play_music']));
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
    for (const [lang, template, object] of [['zh', '搜索{object}的表情', '不说'], ['th', 'หารูป{object}ให้หน่อย', 'หน้ายิ้ม'], ['ja', '{object}の画像を探して', '魚'], ['en', 'find {object}', 'dog face']] as const) {
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

import type { Concept } from './groups';
import { RETRIEVAL_INTENTS, type Intent, type Split } from './languages';
import type { QueryRecord, SlotSpan } from './records';
import { rngFor } from './rng';
import { TEMPLATES } from './templates';
import type { LanguageTemplates, TemplatePool } from './templates/types';

export interface TimeSpec {
  value: number;
  unit: Intl.RelativeTimeFormatUnit;
}

/** A generated query plus what its time slot was rendered from (not written to the manifest). */
export interface GeneratedQuery extends QueryRecord {
  time?: TimeSpec;
}

/** Past times for find_* ('yesterday', 'last month', '3 days ago'); future ones for reminders. */
export const PAST_TIMES: readonly TimeSpec[] = [
  { value: 0, unit: 'day' },
  { value: -1, unit: 'day' },
  { value: -2, unit: 'day' },
  { value: -3, unit: 'day' },
  { value: -1, unit: 'week' },
  { value: -2, unit: 'week' },
  { value: -1, unit: 'month' },
  { value: -3, unit: 'month' },
  { value: -1, unit: 'year' },
];
export const FUTURE_TIMES: readonly TimeSpec[] = [
  { value: 30, unit: 'minute' },
  { value: 1, unit: 'hour' },
  { value: 2, unit: 'hour' },
  { value: 1, unit: 'day' },
  { value: 2, unit: 'day' },
  { value: 3, unit: 'day' },
  { value: 1, unit: 'week' },
  { value: 1, unit: 'month' },
];

const rtfCache = new Map<string, Intl.RelativeTimeFormat>();
/** CLDR's phrase for a relative time: Intl.RelativeTimeFormat(lang, { numeric: 'auto' }).format(value, unit). */
export function timePhrase(lang: string, t: TimeSpec): string {
  let f = rtfCache.get(lang);
  if (!f) rtfCache.set(lang, (f = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' })));
  return f.format(t.value, t.unit);
}

const segCache = new Map<string, Intl.Segmenter>();
/** UTF-16 offsets where Intl.Segmenter(lang, { granularity: 'word' }) puts a segment boundary (incl. 0 and length). */
export function wordBoundaries(text: string, lang: string): Set<number> {
  let s = segCache.get(lang);
  if (!s) segCache.set(lang, (s = new Intl.Segmenter(lang, { granularity: 'word' })));
  const out = new Set<number>([0, text.length]);
  for (const seg of s.segment(text)) out.add(seg.index).add(seg.index + seg.segment.length);
  return out;
}

type Part = { lit: string } | { slot: SlotSpan['label']; text: string };

function parseTemplate(template: string, fill: Record<string, string | undefined>): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{(object|time)\}/g)) {
    const label = m[1] as SlotSpan['label'];
    const text = fill[label];
    if (text === undefined) throw new Error(`template '${template}': no value for {${label}}`);
    const at = m.index ?? 0;
    if (at > last) parts.push({ lit: template.slice(last, at) });
    parts.push({ slot: label, text });
    last = at + m[0].length;
  }
  if (last < template.length) parts.push({ lit: template.slice(last) });
  return parts;
}

/**
 * Fills a template and returns the text with exact slot offsets. Every slot edge is a word boundary of
 * Intl.Segmenter(lang): where a join without spaces (CJK, Thai, Korean particles) merges a slot edge into a
 * neighbouring word, a space is inserted at that edge.
 */
export function composeQuery(
  lang: string,
  template: string,
  fill: { object: string; time?: string },
  pre = '',
  post = '',
): { text: string; slots: SlotSpan[] } {
  const parts: Part[] = [{ lit: pre }, ...parseTemplate(template, fill), { lit: post }];
  const pad = parts.map(() => ({ before: false, after: false }));
  for (let attempt = 0; attempt < 3; attempt++) {
    let text = '';
    const slots: SlotSpan[] = [];
    parts.forEach((p, i) => {
      if ('lit' in p) return void (text += p.lit);
      if (pad[i]!.before && text.length > 0 && !/\s$/.test(text)) text += ' ';
      slots.push({ label: p.slot, start: text.length, end: text.length + p.text.length });
      text += p.text;
      const next = parts[i + 1];
      const nextText = next ? ('lit' in next ? next.lit : next.text) : '';
      if (pad[i]!.after && nextText !== '' && !/^\s/.test(nextText)) text += ' ';
    });
    const b = wordBoundaries(text, lang);
    let ok = true;
    let k = 0;
    parts.forEach((p, i) => {
      if ('lit' in p) return;
      const s = slots[k++]!;
      if (!b.has(s.start)) [pad[i]!.before, ok] = [true, false];
      if (!b.has(s.end)) [pad[i]!.after, ok] = [true, false];
    });
    if (ok) return { text, slots: slots.sort((a, c) => a.start - c.start) };
  }
  throw new Error(`${lang}: cannot align slots of '${template}' with word boundaries for '${fill.object}'`);
}

/** Splits that get held-out queries besides their seen ones. */
export const HELD_OUT_SPLITS: readonly Split[] = ['test', 'test-unseen'];

export interface QueryOptions {
  concepts: readonly Concept[]; // the concepts of this split
  split: Split;
  lang: string;
  seed: number;
  /** Also generate the held-out subset (default: split is one of HELD_OUT_SPLITS). */
  heldOut?: boolean;
  perConcept?: number; // retrieval queries per concept (default 2: find_image, then find_document)
  nonRetrievalFraction?: number; // share of set_reminder / play_music queries in the total (default 0.2)
  /** `${lang}/${hexcode}` of labels not to use (ambiguous across concepts). */
  excluded?: ReadonlySet<string>;
  templates?: LanguageTemplates;
}

type QueryBase = Omit<QueryRecord, 'type' | 'text' | 'slots' | 'semanticText' | 'intent'>;

function makeQuery(
  lang: string,
  pool: TemplatePool,
  intent: Intent,
  object: string,
  rng: ReturnType<typeof rngFor>,
  base: QueryBase,
): GeneratedQuery {
  const template = rng.pick(pool.intents[intent]);
  const time = template.includes('{time}')
    ? rng.pick(RETRIEVAL_INTENTS.includes(intent) ? PAST_TIMES : FUTURE_TIMES)
    : undefined;
  const { text, slots } = composeQuery(
    lang,
    template,
    { object, time: time && timePhrase(lang, time) },
    rng.pick(pool.pre),
    rng.pick(pool.post),
  );
  const { subset, ...where } = base;
  return { type: 'query', ...where, text, intent, slots, semanticText: object, subset, ...(time ? { time } : {}) };
}

/**
 * NLU queries of one split and language. Retrieval queries (find_image, find_document) target the group of
 * their object, a caption label of one of the concept's emoji; set_reminder / play_music take their object
 * (reminder content, song title) from the labels of a random concept of the same split, with group null.
 * Every query is `subset: 'seen'` (top-level templates and noise). With `heldOut`, each seen query gets a
 * `subset: 'held-out'` twin with the same intent, object and group, composed only from `templates.heldOut`
 * (id `q/<group|none>/<lang>/h<i>/<split>`), listed after the seen ones. Deterministic in (seed, split, lang,
 * concept id); the seen queries do not depend on `heldOut`.
 */
export function generateQueries(o: QueryOptions): GeneratedQuery[] {
  const t = o.templates ?? TEMPLATES[o.lang as keyof typeof TEMPLATES];
  if (!t) throw new Error(`no query templates for language '${o.lang}'`);
  const heldOut = o.heldOut ?? HELD_OUT_SPLITS.includes(o.split);
  const per = o.perConcept ?? 2;
  const labelsOf = (c: Concept) =>
    c.members.filter((m) => !o.excluded?.has(`${o.lang}/${m.hexcode}`)).map((m) => m.label[o.lang]!);
  const out: GeneratedQuery[] = [];
  const twins: GeneratedQuery[] = [];
  for (const c of o.concepts) {
    const labels = labelsOf(c);
    if (labels.length === 0) continue;
    const key = `${o.seed}/${o.split}/${o.lang}/${c.id}`;
    const rng = rngFor(key);
    const rngH = rngFor(`${key}/held-out`);
    const offset = rng.int(labels.length);
    for (let i = 0; i < per; i++) {
      const intent = RETRIEVAL_INTENTS[i % RETRIEVAL_INTENTS.length]!;
      const object = labels[(offset + i) % labels.length]!;
      const base = { group: c.id, split: o.split, lang: o.lang };
      out.push(
        makeQuery(o.lang, t, intent, object, rng, {
          id: `q/${c.id}/${o.lang}/${i}/${o.split}`,
          ...base,
          subset: 'seen',
        }),
      );
      if (heldOut)
        twins.push(
          makeQuery(o.lang, t.heldOut, intent, object, rngH, {
            id: `q/${c.id}/${o.lang}/h${i}/${o.split}`,
            ...base,
            subset: 'held-out',
          }),
        );
    }
  }
  const f = o.nonRetrievalFraction ?? 0.2;
  const extra = Math.round((out.length * f) / (1 - f));
  const others: Intent[] = ['set_reminder', 'play_music'];
  for (let k = 0; k < extra && o.concepts.length > 0; k++) {
    const key = `${o.seed}/${o.split}/${o.lang}/none/${k}`;
    const rng = rngFor(key);
    const labels = labelsOf(rng.pick(o.concepts));
    if (labels.length === 0) continue;
    const object = rng.pick(labels);
    const intent = others[k % others.length]!;
    const base = { group: null, split: o.split, lang: o.lang };
    out.push(
      makeQuery(o.lang, t, intent, object, rng, { id: `q/none/${o.lang}/${k}/${o.split}`, ...base, subset: 'seen' }),
    );
    if (heldOut)
      twins.push(
        makeQuery(o.lang, t.heldOut, intent, object, rngFor(`${key}/held-out`), {
          id: `q/none/${o.lang}/h${k}/${o.split}`,
          ...base,
          subset: 'held-out',
        }),
      );
  }
  return [...out, ...twins];
}

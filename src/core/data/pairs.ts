// Relevance = same group within the same split. Helpers the trainer (positive pairs) and evaluation (qrels) use.
import type { DatasetImage, DatasetQuery, DatasetRecords, DatasetText } from './dataset';

export interface GroupMembers {
  images: DatasetImage[];
  captions: DatasetText[];
  chunks: DatasetText[];
  queries: DatasetQuery[]; // queries whose group is this one (group-less queries belong to no group)
}

/**
 * The records of each group, groups sorted by name. Pass one split (dataset.split('test')): a group may
 * appear in several splits (e.g. emoji-cldr's train concepts reappear in `test` with other images).
 */
export function groupsOf(r: DatasetRecords): Map<string, GroupMembers> {
  const out = new Map<string, GroupMembers>();
  const at = (g: string) => {
    let m = out.get(g);
    if (!m) out.set(g, (m = { images: [], captions: [], chunks: [], queries: [] }));
    return m;
  };
  for (const im of r.images) at(im.group).images.push(im);
  for (const t of r.texts) (t.role === 'caption' ? at(t.group).captions : at(t.group).chunks).push(t);
  for (const q of r.queries) if (q.group !== null) at(q.group).queries.push(q);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface PairOptions {
  /** Only texts/queries in these languages. */
  languages?: readonly string[];
  /** Text↔text pairs only within one language (default false: cross-lingual pairs too). */
  sameLanguage?: boolean;
  /** Only queries with these intents (query pairs). */
  intents?: readonly string[];
}

type Keyed = { split: string; group: string | null };

/** Every (left, right) with the same split and group; left in record order, then right in record order. */
function pairsBy<A extends Keyed, B extends Keyed>(
  left: readonly A[],
  right: readonly B[],
  ok: (a: A, b: B) => boolean,
): [A, B][] {
  const byKey = new Map<string, B[]>();
  for (const b of right) {
    if (b.group === null) continue;
    const k = `${b.split}\u0000${b.group}`;
    (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(b);
  }
  const out: [A, B][] = [];
  for (const a of left) {
    if (a.group === null) continue;
    for (const b of byKey.get(`${a.split}\u0000${a.group}`) ?? []) if (ok(a, b)) out.push([a, b]);
  }
  return out;
}

const inLangs = (o: PairOptions) => (lang: string) => !o.languages || o.languages.includes(lang);
const intentOk = (o: PairOptions) => (q: DatasetQuery) => !o.intents || o.intents.includes(q.intent);

/** Image ↔ caption of its group (text→image and image→text training/eval positives). */
export function imageCaptionPairs(
  r: DatasetRecords,
  o: PairOptions = {},
): { image: DatasetImage; caption: DatasetText }[] {
  const lang = inLangs(o);
  const captions = r.texts.filter((t) => t.role === 'caption' && lang(t.lang));
  return pairsBy(r.images, captions, () => true).map(([image, caption]) => ({ image, caption }));
}

/** Caption ↔ chunk of the same group (text→text), cross-lingual unless sameLanguage. */
export function captionChunkPairs(
  r: DatasetRecords,
  o: PairOptions = {},
): { caption: DatasetText; chunk: DatasetText }[] {
  const lang = inLangs(o);
  const captions = r.texts.filter((t) => t.role === 'caption' && lang(t.lang));
  const chunks = r.texts.filter((t) => t.role === 'chunk' && lang(t.lang));
  return pairsBy(captions, chunks, (a, b) => !o.sameLanguage || a.lang === b.lang).map(([caption, chunk]) => ({
    caption,
    chunk,
  }));
}

/** Query ↔ chunk of its group (queries with group null have none), cross-lingual unless sameLanguage. */
export function queryChunkPairs(r: DatasetRecords, o: PairOptions = {}): { query: DatasetQuery; chunk: DatasetText }[] {
  const lang = inLangs(o);
  const queries = r.queries.filter((q) => lang(q.lang) && intentOk(o)(q));
  const chunks = r.texts.filter((t) => t.role === 'chunk' && lang(t.lang));
  return pairsBy(queries, chunks, (a, b) => !o.sameLanguage || a.lang === b.lang).map(([query, chunk]) => ({
    query,
    chunk,
  }));
}

/**
 * Image ↔ another image of its group in another design family (both orders): the cross-design positives that
 * teach the image tower what stays the same when the drawing changes. Without families (or when a group has one
 * family only), any other image of the group.
 */
export function imageImagePairs(r: DatasetRecords): { image: DatasetImage; other: DatasetImage }[] {
  const byGroup = new Map<string, DatasetImage[]>();
  for (const im of r.images)
    (
      byGroup.get(`${im.split}\u0000${im.group}`) ??
      byGroup.set(`${im.split}\u0000${im.group}`, []).get(`${im.split}\u0000${im.group}`)!
    ).push(im);
  const out: { image: DatasetImage; other: DatasetImage }[] = [];
  for (const ims of byGroup.values()) {
    const families = new Set(ims.map((im) => im.family ?? ''));
    for (const image of ims)
      for (const other of ims)
        if (other !== image && (families.size < 2 || other.family !== image.family)) out.push({ image, other });
  }
  return out;
}

/** The language 'translation' pairs pivot on: the teacher's (USE lite is English only). */
export const PIVOT_LANGUAGE = 'en';

/**
 * Text in language X ≠ pivot ↔ the text of the same group, split and role (caption or chunk) in the pivot language:
 * parallel texts for multilingual distillation (Reimers & Gurevych 2020). A group with several pivot texts of a role
 * pairs X with each.
 */
export function translationPairs(
  r: DatasetRecords,
  pivot = PIVOT_LANGUAGE,
): { text: DatasetText; pivot: DatasetText }[] {
  const pivots = r.texts.filter((t) => t.lang === pivot);
  const others = r.texts.filter((t) => t.lang !== pivot);
  return pairsBy(others, pivots, (a, b) => a.role === b.role).map(([text, p]) => ({ text, pivot: p }));
}

/** Query ↔ image of its group. */
export function queryImagePairs(
  r: DatasetRecords,
  o: PairOptions = {},
): { query: DatasetQuery; image: DatasetImage }[] {
  const lang = inLangs(o);
  const queries = r.queries.filter((q) => lang(q.lang) && intentOk(o)(q));
  return pairsBy(queries, r.images, () => true).map(([query, image]) => ({ query, image }));
}

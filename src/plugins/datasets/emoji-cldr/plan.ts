import type { EmojiEntry } from './catalog';
import { ambiguousLabels, buildConcepts, type Concept } from './groups';
import { EMOJI_CLDR_LANGUAGES, FAMILIES, TRAIN_FAMILIES, type Family, type Split } from './languages';
import { generateQueries, type GeneratedQuery } from './queries';
import type { ImageRecord, TextRecord } from './records';
import { TEMPLATES } from './templates';

export const DEFAULT_SEED = 13;

export interface PlanOptions {
  seed?: number;
  languages?: readonly string[];
  /** Sets of hexcodes with pixel-identical images within one family: merged into one concept. */
  identical?: readonly (readonly string[])[];
  /** `${family}/${hexcode}` → pixel hash: an image identical to an earlier one of the same concept and family is dropped. */
  imageHashes?: ReadonlyMap<string, string>;
  queries?: boolean; // default true
}

export interface PlannedImage extends ImageRecord {
  source: string; // absolute path of the source PNG / SVG
  hexcode: string;
}

/** Counts per split (and family / language): what `unir data build` prints and the data card lists. */
export interface EmojiCldrCounts {
  concepts: Record<'train' | 'val' | 'unseen', number>;
  emoji: number;
  images: Record<string, Record<string, number>>; // split → family → n
  captions: Record<string, Record<string, number>>; // split → lang → n
  chunks: Record<string, Record<string, number>>;
  queries: Record<string, Record<string, number>>; // split → lang → n (all intents, both subsets)
  heldOutQueries: Record<string, Record<string, number>>; // split → lang → n of subset 'held-out' (test splits only)
  nonRetrievalQueries: Record<string, number>; // split → n (all languages)
  droppedDuplicateImages: number;
  ambiguousLabels: string[]; // `${lang}/${hexcode}` captions left out
}

export interface EmojiCldrPlan {
  concepts: Concept[];
  images: PlannedImage[];
  texts: TextRecord[];
  queries: GeneratedQuery[];
  counts: EmojiCldrCounts;
}

/** The splits a concept's texts and queries are written for, and which image families each split takes. */
export function splitsOf(c: Concept): { split: Split; families: readonly Family[] }[] {
  if (c.split === 'train')
    return [
      { split: 'train', families: TRAIN_FAMILIES },
      { split: 'test', families: ['openmoji'] },
    ];
  if (c.split === 'val') return [{ split: 'val', families: TRAIN_FAMILIES }];
  return [{ split: 'test-unseen', families: ['openmoji'] }];
}

const bump = (o: Record<string, Record<string, number>>, a: string, b: string) => {
  const row = (o[a] ??= {});
  row[b] = (row[b] ?? 0) + 1;
};

/**
 * Everything emoji-cldr's manifest holds, computed from the catalog without touching image files: concepts
 * and their splits, image records (google + twitter for train/val, openmoji for test/test-unseen), captions
 * (the CLDR label) and chunks (label + group/subgroup names + keywords) per language, and NLU queries.
 */
export function planEmojiCldr(entries: readonly EmojiEntry[], opts: PlanOptions = {}): EmojiCldrPlan {
  const seed = opts.seed ?? DEFAULT_SEED;
  const languages = opts.languages ?? EMOJI_CLDR_LANGUAGES;
  const concepts = buildConcepts(entries, { seed, identical: opts.identical });
  const excluded = ambiguousLabels(concepts, languages);
  const counts: EmojiCldrCounts = {
    concepts: { train: 0, val: 0, unseen: 0 },
    emoji: entries.length,
    images: {},
    captions: {},
    chunks: {},
    queries: {},
    heldOutQueries: {},
    nonRetrievalQueries: {},
    droppedDuplicateImages: 0,
    ambiguousLabels: [...excluded].sort(),
  };
  const images: PlannedImage[] = [];
  const texts: TextRecord[] = [];
  const bySplit = new Map<Split, Concept[]>();
  for (const c of concepts) {
    counts.concepts[c.split]++;
    for (const { split, families } of splitsOf(c)) {
      bySplit.set(split, [...(bySplit.get(split) ?? []), c]);
      for (const family of families) {
        const seen = new Set<string>();
        for (const m of c.members) {
          const source = m.images[family];
          if (!source) continue;
          const h = opts.imageHashes?.get(`${family}/${m.hexcode}`);
          if (h !== undefined && seen.has(h)) {
            counts.droppedDuplicateImages++;
            continue;
          }
          if (h !== undefined) seen.add(h);
          images.push({
            type: 'image',
            id: `img/${family}/${m.hexcode}`,
            group: c.id,
            split,
            path: `images/${family}/${m.hexcode}.png`,
            family,
            source,
            hexcode: m.hexcode,
          });
          bump(counts.images, split, family);
        }
      }
      for (const lang of languages) {
        const t = TEMPLATES[lang as keyof typeof TEMPLATES];
        for (const m of c.members) {
          if (!excluded.has(`${lang}/${m.hexcode}`)) {
            texts.push({
              type: 'text',
              id: `cap/${m.hexcode}/${lang}/${split}`,
              group: c.id,
              split,
              lang,
              role: 'caption',
              text: m.label[lang]!,
            });
            bump(counts.captions, split, lang);
          }
          const chunk = t.chunk({
            label: m.label[lang]!,
            tags: m.tags[lang]!,
            group: m.groupName[lang]!,
            subgroup: m.subgroupName[lang]!,
          });
          texts.push({
            type: 'text',
            id: `chunk/${m.hexcode}/${lang}/${split}`,
            group: c.id,
            split,
            lang,
            role: 'chunk',
            text: chunk,
          });
          bump(counts.chunks, split, lang);
        }
      }
    }
  }
  const queries: GeneratedQuery[] = [];
  if (opts.queries !== false) {
    for (const [split, cs] of bySplit) {
      // per split: every language's seen queries, then the held-out ones (the seen part reads as before subsets)
      const heldOut: GeneratedQuery[] = [];
      for (const lang of languages) {
        for (const q of generateQueries({ concepts: cs, split, lang, seed, excluded })) {
          (q.subset === 'held-out' ? heldOut : queries).push(q);
          bump(counts.queries, split, lang);
          if (q.subset === 'held-out') bump(counts.heldOutQueries, split, lang);
          if (q.group === null) counts.nonRetrievalQueries[split] = (counts.nonRetrievalQueries[split] ?? 0) + 1;
        }
      }
      queries.push(...heldOut);
    }
  }
  return { concepts, images, texts, queries, counts };
}

/** The counts as Markdown tables: concepts and images per split × family, texts and queries per split × language. */
export function formatCounts(c: EmojiCldrCounts, languages: readonly string[] = EMOJI_CLDR_LANGUAGES): string {
  const splits = ['train', 'val', 'test', 'test-unseen'];
  const lines = [
    `emoji: ${c.emoji}; concepts (groups): train ${c.concepts.train}, val ${c.concepts.val}, unseen ${c.concepts.unseen}` +
      `; duplicate images dropped: ${c.droppedDuplicateImages}; ambiguous captions left out: ${c.ambiguousLabels.join(', ') || 'none'}`,
    '',
    `| images | ${FAMILIES.join(' | ')} | total |`,
    `|---|${FAMILIES.map(() => '---:').join('|')}|---:|`,
    ...splits.map((s) => {
      const row = FAMILIES.map((f) => c.images[s]?.[f] ?? 0);
      return `| ${s} | ${row.join(' | ')} | ${row.reduce((a, b) => a + b, 0)} |`;
    }),
    '',
    `| split / lang | ${languages.join(' | ')} | total |`,
    `|---|${languages.map(() => '---:').join('|')}|---:|`,
  ];
  const seen: Record<string, Record<string, number>> = Object.fromEntries(
    splits.map((s) => [
      s,
      Object.fromEntries(languages.map((l) => [l, (c.queries[s]?.[l] ?? 0) - (c.heldOutQueries[s]?.[l] ?? 0)])),
    ]),
  );
  for (const s of splits) {
    const tables = [
      ['captions', c.captions],
      ['chunks', c.chunks],
      ['queries', c.queries],
    ] as [string, Record<string, Record<string, number>>][];
    if (c.heldOutQueries[s]) tables.push(['queries seen', seen], ['queries held-out', c.heldOutQueries]);
    for (const [name, table] of tables) {
      const row = languages.map((l) => table[s]?.[l] ?? 0);
      lines.push(`| ${s} ${name} | ${row.join(' | ')} | ${row.reduce((a, b) => a + b, 0)} |`);
    }
  }
  return lines.join('\n');
}

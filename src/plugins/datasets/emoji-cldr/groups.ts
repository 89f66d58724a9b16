import type { EmojiEntry } from './catalog';
import { TRAIN_FAMILIES } from './languages';
import { unitHash } from './rng';

/** Where a concept's images and texts go: train (+ test with openmoji images), val, or test-unseen only. */
export type ConceptSplit = 'train' | 'val' | 'unseen';

/** A group: a concept family of emoji that are near-duplicates ('farmer', 'man farmer', 'woman farmer'). */
export interface Concept {
  id: string; // kebab-case slug of the representative's English label: the manifest's `group`
  members: EmojiEntry[]; // emojibase order; members[0] is the representative
  split: ConceptSplit;
}

export interface ConceptOptions {
  seed: number;
  unseenFraction?: number; // of all concepts → test-unseen (default 0.2)
  valFraction?: number; // of all concepts → val (default 0.08, i.e. 10% of the training concepts)
  /** Sets of hexcodes whose images are pixel-identical within one design family: merged into one concept. */
  identical?: readonly (readonly string[])[];
}

const PERSON_WORDS = new Set(['man', 'woman', 'person', 'men', 'women', 'people', 'adult', 'child', 'boy', 'girl']);

/**
 * The concept family of an English CLDR label: gendered / person words and the ': facing right' direction
 * variant are dropped, and a ': man, woman, boy'-style member list collapses to its prefix
 * ('man farmer' → 'farmer', 'family: man, woman, boy' → 'family', 'person running: facing right' → 'running').
 */
export function conceptKey(enLabel: string): string {
  let l = enLabel.toLowerCase().replace(/: facing right$/, '');
  const colon = l.indexOf(': ');
  if (
    colon >= 0 &&
    l
      .slice(colon + 2)
      .split(/,\s*/)
      .every((w) => PERSON_WORDS.has(w))
  )
    l = l.slice(0, colon);
  const words = l
    .split(/\s+/)
    .filter((w) => !PERSON_WORDS.has(w.replace(/:$/, '')))
    .map((w) => (w === 'older' ? 'old' : w));
  const key = words.join(' ').replace(/^:\s*/, '').trim();
  return key || l;
}

export function slugify(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Seeded, per-concept split: a concept's split depends only on (seed, its id), not on the other concepts. */
export function conceptSplit(
  id: string,
  seed: number,
  hasTrainImages: boolean,
  unseenFraction = 0.2,
  valFraction = 0.08,
): ConceptSplit {
  if (!hasTrainImages) return 'unseen'; // the newest emoji exist only in openmoji: nothing to train on
  const u = unitHash(`${seed}/split/${id}`);
  return u < unseenFraction ? 'unseen' : u < unseenFraction + valFraction ? 'val' : 'train';
}

/** Groups the catalog into concepts (by conceptKey, then by pixel-identical images) and splits them. */
export function buildConcepts(entries: readonly EmojiEntry[], opts: ConceptOptions): Concept[] {
  const parent = new Map<string, string>(entries.map((e) => [e.hexcode, e.hexcode]));
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string) => {
    if (parent.has(a) && parent.has(b)) parent.set(find(a), find(b));
  };
  const byKey = new Map<string, string>();
  for (const e of entries) {
    const k = conceptKey(e.label.en ?? e.hexcode);
    const first = byKey.get(k);
    if (first) union(e.hexcode, first);
    else byKey.set(k, e.hexcode);
  }
  for (const set of opts.identical ?? []) for (let i = 1; i < set.length; i++) union(set[i]!, set[0]!);

  const members = new Map<string, EmojiEntry[]>();
  for (const e of [...entries].sort((a, b) => a.order - b.order)) {
    const r = find(e.hexcode);
    members.set(r, [...(members.get(r) ?? []), e]);
  }
  const used = new Set<string>();
  const out: Concept[] = [];
  for (const ms of members.values()) {
    const key = conceptKey(ms[0]!.label.en ?? ms[0]!.hexcode);
    const rep = ms.find((m) => (m.label.en ?? '').toLowerCase() === key) ?? ms[0]!;
    const ordered = [rep, ...ms.filter((m) => m !== rep)];
    let id = slugify(rep.label.en ?? rep.hexcode) || rep.hexcode.toLowerCase();
    if (used.has(id)) id = `${id}-${rep.hexcode.toLowerCase()}`;
    used.add(id);
    const hasTrain = ordered.some((m) => TRAIN_FAMILIES.some((f) => m.images[f]));
    out.push({
      id,
      members: ordered,
      split: conceptSplit(id, opts.seed, hasTrain, opts.unseenFraction, opts.valFraction),
    });
  }
  return out;
}

/**
 * Labels that name emoji of two different concepts in one language (French 'trombone' is both the
 * trombone and the paperclip) would make text→group relevance ambiguous. The oldest emoji (lowest
 * Unicode version, then CLDR order) keeps the label; returns `${lang}/${hexcode}` of those that lose it.
 */
export function ambiguousLabels(concepts: readonly Concept[], languages: readonly string[]): Set<string> {
  const drop = new Set<string>();
  for (const lang of languages) {
    const owners = new Map<string, { concept: string; e: EmojiEntry }[]>();
    for (const c of concepts)
      for (const e of c.members) {
        const k = (e.label[lang] ?? '').toLowerCase();
        owners.set(k, [...(owners.get(k) ?? []), { concept: c.id, e }]);
      }
    for (const list of owners.values()) {
      if (new Set(list.map((o) => o.concept)).size < 2) continue;
      const sorted = [...list].sort((a, b) => a.e.version - b.e.version || a.e.order - b.e.order);
      const keeper = sorted[0]!.concept;
      for (const o of sorted) if (o.concept !== keeper) drop.add(`${lang}/${o.e.hexcode}`);
    }
  }
  return drop;
}

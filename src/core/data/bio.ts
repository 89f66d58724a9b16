// BIO slot tags per word: what the NLU slot head is trained on and evaluated against.
import { UserError } from '../errors';
import type { Word } from '../text/tokenizer';
import type { CharSlot } from './manifest-problems';

export const OUTSIDE = 'O';

/** The tag vocabulary: index 0 = 'O', then B-<label>, I-<label> per slot label in the given order. */
export function bioTagSet(slotLabels: readonly string[]): string[] {
  return [OUTSIDE, ...slotLabels.flatMap((l) => [`B-${l}`, `I-${l}`])];
}

/**
 * One tag per word: a word takes the label of the span it overlaps (w.start < s.end && s.start < w.end);
 * the first such word of a span is B-, the following ones I-. A word overlapping two spans keeps the
 * earlier span's label. Spans need not sit on word boundaries (ICU's CJK/Thai words may differ from the
 * annotation), so a span that cuts a word still labels all of it. `words` are the tokenizer's words (after
 * truncation): spans past the last word are simply not tagged.
 */
export function bioLabels(slots: readonly CharSlot[], words: readonly Word[]): string[] {
  const tags = words.map(() => OUTSIDE);
  const spans = [...slots].sort((a, b) => a.start - b.start);
  for (const s of spans) {
    let first = true;
    words.forEach((w, i) => {
      if (w.start < s.end && s.start < w.end && tags[i] === OUTSIDE) {
        tags[i] = `${first ? 'B' : 'I'}-${s.label}`;
        first = false;
      }
    });
  }
  return tags;
}

/** bioLabels as indices into `tagSet` (bioTagSet(dataset.slotLabels)); a label not in the set throws. */
export function bioLabelIds(slots: readonly CharSlot[], words: readonly Word[], tagSet: readonly string[]): Int32Array {
  const index = new Map(tagSet.map((t, i) => [t, i]));
  return Int32Array.from(bioLabels(slots, words), (t) => {
    const i = index.get(t);
    if (i === undefined)
      throw new UserError(
        `slot tag '${t}' is not in the tag set (${tagSet.join(', ')}); build the tag set from the dataset's slotLabels`,
      );
    return i;
  });
}

/** Spans whose start or end falls inside a word (not on a word boundary): informational, for `unir data stats`. */
export function slotsOffWordBoundaries(slots: readonly CharSlot[], words: readonly Word[]): CharSlot[] {
  const inside = (x: number) => words.some((w) => w.start < x && x < w.end);
  return slots.filter((s) => inside(s.start) || inside(s.end));
}

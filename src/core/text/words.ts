import type { Word } from './tokenizer';

const segmenters = new Map<string, Intl.Segmenter>();

/** One Intl.Segmenter per locale hint (construction is costly); a malformed hint falls back to the default. */
export function wordSegmenter(lang?: string): Intl.Segmenter {
  const key = lang ?? '';
  let seg = segmenters.get(key);
  if (!seg) {
    try {
      seg = new Intl.Segmenter(lang || undefined, { granularity: 'word' });
    } catch {
      seg = new Intl.Segmenter(undefined, { granularity: 'word' });
    }
    segmenters.set(key, seg);
  }
  return seg;
}

/**
 * The words of a text, as every tokenizer, manifest word offset and BIO tag sees them:
 * Intl.Segmenter(lang, { granularity: 'word' }) segments with isWordLike, so spaces, punctuation and emoji
 * are not words; CJK and Thai get ICU's dictionary words (`lang` is passed as the locale). Offsets are
 * UTF-16 indices into the ORIGINAL text: text.slice(w.start, w.end) === w.text.
 */
export function segmentWords(text: string, lang?: string): Word[] {
  const out: Word[] = [];
  for (const s of wordSegmenter(lang).segment(text)) {
    if (s.isWordLike) out.push({ text: s.segment, start: s.index, end: s.index + s.segment.length });
  }
  return out;
}

// Char-offset slot spans → one BIO tag per word (what the NLU slot head is trained on).
import type { Word } from './tokenizer';

/** A slot span in UTF-16 code units of the text, end exclusive. */
export interface LabelSpan {
  start: number;
  end: number;
  label: string;
}

/** Why a span does not sit cleanly on words; `span` indexes the spans given. One line, no file name. */
export interface SpanProblem {
  span: number;
  message: string;
}

export interface BioResult {
  tags: string[]; // one per word: 'O', 'B-<label>' or 'I-<label>'
  problems: SpanProblem[]; // empty when every span starts and ends on word boundaries and covers a word
}

/**
 * BIO tags for `words` from char spans. A span tags every word it overlaps (w.start < s.end &&
 * s.start < w.end): the first B-, the rest I-; a word overlapping two spans keeps the earlier one (by
 * start). This is the same rule as src/core/data/bio.ts's bioLabels, so both give the same tags.
 *
 * Decision: spans SHOULD align to word boundaries (the words of segmentWords). Tags are still returned for
 * a span that cuts a word (the whole word is tagged), but each such span, each span that overlaps an
 * earlier one and each span that covers no word (whitespace only, or past the words kept after
 * truncation) is reported in `problems`: a strict caller (manifest validation) turns them into a
 * UserError naming its file and line; a lenient one (training on ICU's CJK/Thai words) uses `tags`.
 */
export function bioLabelsForSpans(words: readonly Word[], spans: readonly LabelSpan[]): BioResult {
  const tags = words.map(() => 'O');
  const problems: SpanProblem[] = [];
  const order = spans.map((_, i) => i).sort((a, b) => spans[a]!.start - spans[b]!.start || a - b);
  let reach = -1; // furthest end so far, for overlaps
  let reachSpan = -1;
  for (const i of order) {
    const s = spans[i]!;
    const show = `[${s.start}, ${s.end}) '${s.label}'`;
    if (!(s.start < s.end)) {
      problems.push({ span: i, message: `span ${show} is empty; end must be greater than start` });
      continue;
    }
    if (s.start < reach)
      problems.push({ span: i, message: `span ${show} overlaps span ${reachSpan}; spans must not overlap` });
    if (s.end > reach) [reach, reachSpan] = [s.end, i];
    const cut = (x: number) => words.find((w) => w.start < x && x < w.end);
    for (const [edge, x] of [
      ['start', s.start],
      ['end', s.end],
    ] as const) {
      const w = cut(x);
      if (w)
        problems.push({
          span: i,
          message: `span ${show} ${edge} ${x} cuts the word '${w.text}' [${w.start}, ${w.end}); move it to ${w.start} or ${w.end}`,
        });
    }
    let first = true;
    words.forEach((w, k) => {
      if (w.start < s.end && s.start < w.end && tags[k] === 'O') {
        tags[k] = `${first ? 'B' : 'I'}-${s.label}`;
        first = false;
      }
    });
    if (!words.some((w) => w.start < s.end && s.start < w.end)) {
      problems.push({
        span: i,
        message: `span ${show} covers no word (only spaces/punctuation, or past the last word kept)`,
      });
    }
  }
  problems.sort((a, b) => a.span - b.span);
  return { tags, problems };
}

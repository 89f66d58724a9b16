// Turns zod issues and span checks into manifest problems with stable, one-line messages (tests assert them).
import type { z } from 'zod';
import { formatPath } from '../registry/registry';
import { segmentWords } from '../text/words';

/** One problem of one field of one line: printed as `file:line: field: message`. */
export interface ManifestProblem {
  file: string;
  line: number; // 1-based
  field: string; // e.g. `lang`, `slots[1].end`, `json` for a line that is not JSON
  message: string;
  /** 'image': the image file is missing or cannot be decoded (skippable with skipBadImages); 'record': anything else. */
  kind: 'record' | 'image';
}

export function formatProblem(p: ManifestProblem): string {
  return `${p.file}:${p.line}: ${p.field}: ${p.message}`;
}

/** A slot span in UTF-16 code units of the query text, end exclusive. */
export interface CharSlot {
  label: string;
  start: number;
  end: number;
}

export type FieldProblem = { field: string; message: string };

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  return `${typeof v === 'number' ? 'a number' : 'a boolean'} (${String(v)})`;
}

const quote = (v: unknown) => (typeof v === 'string' ? `'${v}'` : jsonType(v));

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
};

/** One problem per offending field (the first issue of a field wins). `knownKeys` names a record's fields for typos. */
export function zodProblems(
  issues: readonly z.core.$ZodIssue[],
  knownKeys: (path: readonly PropertyKey[]) => readonly string[],
): FieldProblem[] {
  const out: FieldProblem[] = [];
  const seen = new Set<string>();
  const add = (field: string, message: string) => {
    if (seen.has(field)) return;
    seen.add(field);
    out.push({ field: field || '(record)', message });
  };
  for (const iss of issues) {
    const field = formatPath(iss.path);
    const input = (iss as { input?: unknown }).input;
    switch (iss.code) {
      case 'unrecognized_keys':
        for (const k of iss.keys)
          add(field ? `${field}.${k}` : k, `unknown field; known fields: ${knownKeys(iss.path).join(', ')}`);
        break;
      case 'invalid_type': {
        const exp = EXPECTED[iss.expected] ?? iss.expected;
        add(field, input === undefined ? `missing; expected ${exp}` : `expected ${exp}, got ${jsonType(input)}`);
        break;
      }
      case 'invalid_value':
        add(field, `expected ${iss.values.map(quote).join(' or ')}, got ${quote(input)}`);
        break;
      case 'too_small':
        if (iss.origin === 'string') add(field, 'must not be empty');
        else add(field, `must be ≥ ${String(iss.minimum)}, got ${String(input)}`);
        break;
      default:
        add(field, iss.message);
    }
  }
  return out;
}

export interface RawSlot {
  label: string;
  start?: number;
  end?: number;
  startWord?: number;
  endWord?: number;
}

/**
 * Normalises slots to char offsets and checks them against the text: start < end, inside the text, word
 * offsets within segmentWords(text, lang), no overlaps. `bad` holds slot indices zod already rejected.
 */
export function checkSlots(
  text: string,
  lang: string,
  slots: readonly RawSlot[],
  bad: ReadonlySet<number>,
): { slots: CharSlot[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const spans: (CharSlot & { i: number })[] = [];
  let words: ReturnType<typeof segmentWords> | undefined;
  slots.forEach((s, i) => {
    if (bad.has(i)) return;
    const f = `slots[${i}]`;
    const hasChar = s.start !== undefined || s.end !== undefined;
    const hasWord = s.startWord !== undefined || s.endWord !== undefined;
    if (hasChar && hasWord)
      return problems.push({
        field: f,
        message: 'give start/end (UTF-16 offsets) or startWord/endWord (word offsets), not both',
      });
    if (!hasChar && !hasWord)
      return problems.push({
        field: f,
        message: 'missing offsets; give start/end (UTF-16 offsets) or startWord/endWord (word offsets)',
      });
    if (hasChar) {
      if (s.start === undefined)
        return problems.push({
          field: `${f}.start`,
          message: 'missing; expected an integer (a span needs start and end)',
        });
      if (s.end === undefined)
        return problems.push({
          field: `${f}.end`,
          message: 'missing; expected an integer (a span needs start and end)',
        });
      if (s.start >= s.end) return problems.push({ field: f, message: `start ${s.start} is not before end ${s.end}` });
      if (s.end > text.length)
        return problems.push({
          field: `${f}.end`,
          message: `${s.end} is past the end of text (length ${text.length})`,
        });
      spans.push({ label: s.label, start: s.start, end: s.end, i });
      return;
    }
    if (s.startWord === undefined)
      return problems.push({
        field: `${f}.startWord`,
        message: 'missing; expected an integer (a span needs startWord and endWord)',
      });
    if (s.endWord === undefined)
      return problems.push({
        field: `${f}.endWord`,
        message: 'missing; expected an integer (a span needs startWord and endWord)',
      });
    if (s.startWord >= s.endWord)
      return problems.push({ field: f, message: `startWord ${s.startWord} is not before endWord ${s.endWord}` });
    words ??= segmentWords(text, lang);
    if (s.endWord > words.length) {
      return problems.push({
        field: `${f}.endWord`,
        message: `${s.endWord} is past the last word (text has ${words.length} words by Intl.Segmenter)`,
      });
    }
    spans.push({ label: s.label, start: words[s.startWord]!.start, end: words[s.endWord - 1]!.end, i });
  });
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.i - b.i);
  let reach = sorted[0]; // the span reaching furthest right so far
  for (const cur of sorted.slice(1)) {
    if (cur.start < reach!.end) {
      const [first, second] = reach!.i < cur.i ? [reach!, cur] : [cur, reach!];
      problems.push({
        field: `slots[${second.i}]`,
        message: `overlaps slots[${first.i}] [${first.start}, ${first.end}); spans must not overlap`,
      });
    }
    if (cur.end > reach!.end) reach = cur;
  }
  return { slots: spans.map(({ label, start, end }) => ({ label, start, end })), problems };
}

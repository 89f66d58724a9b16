// Char offsets for subword tokens when the tokenizer library gives none (@lenml/tokenizers does not).

/**
 * The comparison form of a string: NFKD, lower case, combining marks and whitespace removed, final sigma
 * folded. Tokenizer normalizers (lower-casing, accent stripping, NFKC, spacing around CJK) change text in
 * ways this form ignores, so a decoded token sequence and the original text compare equal in it.
 */
export function foldForAlignment(s: string): string {
  return s
    .normalize('NFKD')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\p{M}\s]/gu, '')
    .replace(/ς/g, 'σ');
}

/** The folded text with, per folded UTF-16 unit, the original [start, end) of the code point it came from. */
function foldedSurface(text: string): { surf: string; from: Int32Array; to: Int32Array } {
  let surf = '';
  const from: number[] = [];
  const to: number[] = [];
  let i = 0;
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    // ASCII fast path: the same as foldForAlignment(ch)
    const f = c < 0x80 ? (/\s/.test(ch) ? '' : ch.toLowerCase()) : foldForAlignment(ch);
    for (let k = 0; k < f.length; k++) {
      from.push(i);
      to.push(i + ch.length);
    }
    surf += f;
    i += ch.length;
  }
  return { surf, from: Int32Array.from(from), to: Int32Array.from(to) };
}

const SPACELESS = String.raw`\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}`;
const UNIT = new RegExp(
  String.raw`[${SPACELESS}]\p{M}*|(?:(?![${SPACELESS}])[\p{L}\p{N}\p{M}])+|[^\s\p{L}\p{N}\p{M}]`,
  'gu',
);

/**
 * [start, end) of the units of text[from, to): single characters (with their marks) of scripts written
 * without spaces (CJK, Thai, …: tokenizers split those apart), runs of other letters/digits, single other
 * non-space characters.
 */
function gapUnits(text: string, from: number, to: number): [number, number][] {
  const re = new RegExp(UNIT);
  re.lastIndex = from;
  const out: [number, number][] = [];
  for (let m = re.exec(text); m && m.index < to; m = re.exec(text))
    out.push([m.index, Math.min(to, m.index + m[0].length)]);
  return out;
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** What each token adds to the decoded text, in folded form: prefixes[k] = decoded text of tokens 0..k. */
export function surfacesFromPrefixes(prefixes: readonly string[]): string[] {
  let prev = '';
  return prefixes.map((p) => {
    const cur = foldForAlignment(p);
    const piece = cur.slice(commonPrefix(prev, cur)); // a U+FFFD the next byte completes is re-emitted there
    prev = cur;
    return piece;
  });
}

/**
 * Char spans [start, end) in `text` of N tokens whose decoded surfaces are `surfaces` (per token; compared
 * in folded form, so spaces, case and accents do not matter). Surfaces are matched left to right against
 * the folded text: at the cursor, else at their next occurrence (the normaliser dropped characters in
 * between). A token is a wildcard when `wildcard(k)` (e.g. the unknown token), when its surface holds
 * U+FFFD (a byte-level token ending inside a character) or when the surface is not in the rest of the
 * text: wildcards take the text between the previous match and the next one, split in order and in
 * proportion over its units (see gapUnits: one [UNK] per unknown word or CJK/Thai character), or share the
 * next token's span when that text is empty. A token with an empty surface (a bare space token) gets
 * [-1, -1): it belongs to no word. Returns (N, 2) as [start0, end0, start1, end1, ...].
 */
export function alignTokens(text: string, surfaces: readonly string[], wildcard?: (k: number) => boolean): Int32Array {
  const N = surfaces.length;
  const out = new Int32Array(N * 2).fill(-1);
  const { surf, from, to } = foldedSurface(text);
  const setSpan = (k: number, a: number, b: number) => {
    out[2 * k] = from[a]!;
    out[2 * k + 1] = to[b - 1]!;
  };
  let cursor = 0;
  let pending: number[] = [];
  const orig = (p: number) => (p < surf.length ? from[p]! : text.length);
  const resolve = (upTo: number, nextEnd: number) => {
    const units = upTo > cursor ? gapUnits(text, orig(cursor), orig(upTo)) : [];
    pending.forEach((k, j) => {
      if (units.length) {
        // k wildcards over u units of the gap, in order and in proportion
        const a = Math.floor((j * units.length) / pending.length);
        const b = Math.max(a + 1, Math.floor(((j + 1) * units.length) / pending.length));
        out[2 * k] = units[a]![0];
        out[2 * k + 1] = units[b - 1]![1];
      } else if (nextEnd > upTo) setSpan(k, upTo, nextEnd);
    });
    pending = [];
  };
  for (let k = 0; k < N; k++) {
    const piece = foldForAlignment(surfaces[k]!);
    if (wildcard?.(k) || piece.includes('\uFFFD')) {
      pending.push(k);
      continue;
    }
    if (piece.length === 0) continue;
    const at = surf.startsWith(piece, cursor) ? cursor : surf.indexOf(piece, cursor);
    if (at < 0) {
      pending.push(k); // not in the text (e.g. the tokenizer's own insertions): a wildcard
      continue;
    }
    resolve(at, at + piece.length);
    setSpan(k, at, at + piece.length);
    cursor = at + piece.length;
  }
  resolve(surf.length, surf.length);
  return out;
}

/** alignTokens from the decoded text of every prefix of the token sequence (works for any decoder). */
export function alignByPrefixes(
  text: string,
  prefixes: readonly string[],
  wildcard?: (k: number) => boolean,
): Int32Array {
  return alignTokens(text, surfacesFromPrefixes(prefixes), wildcard);
}

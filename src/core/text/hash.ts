// FNV-1a 32-bit over UTF-8 bytes: the hash of word-ngram's buckets. Stable across runs, platforms and
// languages (Python: h = 0x811c9dc5; for b in s.encode('utf-8'): h = ((h ^ b) * 0x01000193) & 0xffffffff).

export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Appends the UTF-8 bytes of code point `cp` to `out` at `at`; returns the new end. `out` needs 4 free bytes. */
export function utf8Encode(cp: number, out: Uint8Array, at: number): number {
  if (cp < 0x80) {
    out[at++] = cp;
  } else if (cp < 0x800) {
    out[at++] = 0xc0 | (cp >> 6);
    out[at++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    out[at++] = 0xe0 | (cp >> 12);
    out[at++] = 0x80 | ((cp >> 6) & 0x3f);
    out[at++] = 0x80 | (cp & 0x3f);
  } else {
    out[at++] = 0xf0 | (cp >> 18);
    out[at++] = 0x80 | ((cp >> 12) & 0x3f);
    out[at++] = 0x80 | ((cp >> 6) & 0x3f);
    out[at++] = 0x80 | (cp & 0x3f);
  }
  return at;
}

/** FNV-1a 32-bit of bytes[from, to), as an unsigned integer. */
export function fnv1aBytes(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h >>> 0;
}

let scratch = new Uint8Array(256);

/** FNV-1a 32-bit of the UTF-8 encoding of `s` (lone surrogates encode as U+FFFD, like TextEncoder). */
export function fnv1a32(s: string): number {
  if (scratch.length < s.length * 3 + 4) scratch = new Uint8Array(s.length * 3 + 4);
  let n = 0;
  for (const ch of s) {
    let cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    n = utf8Encode(cp, scratch, n);
  }
  return fnv1aBytes(scratch, 0, n);
}

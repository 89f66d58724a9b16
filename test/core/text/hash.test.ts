import { describe, expect, it } from 'vitest';
import { fnv1a32, fnv1aBytes, utf8Encode } from '../../../src/core/text/hash';

/** The textbook FNV-1a loop over Node's own UTF-8 encoder, with BigInt arithmetic. */
function oracle(s: string): number {
  let h = 0x811c9dc5n;
  for (const b of Buffer.from(s, 'utf8')) h = ((h ^ BigInt(b)) * 0x01000193n) & 0xffffffffn;
  return Number(h);
}

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes (1- to 4-byte code points) like a BigInt oracle over Buffer.from', () => {
    for (const s of ['<dog>', 'Straße', 'собака', '狗的照片', 'สุนัข', '𠀀𝒜🐶', 'é\u0301'])
      expect(fnv1a32(s)).toBe(oracle(s));
  });

  it('encodes lone surrogates as U+FFFD like TextEncoder', () => {
    expect(fnv1a32('a\ud800b')).toBe(oracle('a\ufffdb'));
  });

  it('utf8Encode agrees with Buffer.from for every byte length; fnv1aBytes hashes a sub-range', () => {
    const out = new Uint8Array(16);
    let n = 0;
    for (const cp of [0x41, 0xe9, 0x72d7, 0x20000]) n = utf8Encode(cp, out, n);
    expect([...out.subarray(0, n)]).toEqual([...Buffer.from('Aé狗𠀀', 'utf8')]);
    expect(fnv1aBytes(out, 1, 3)).toBe(oracle('é'));
  });
});

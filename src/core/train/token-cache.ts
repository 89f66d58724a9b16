import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic';
import type { TokenTable } from './tokens';

/** Bump when the table layout or how tables are built changes: older cache files are then ignored. */
const FORMAT = 2;
const ARRAYS = ['ids', 'mask', 'wordIndex', 'firstPiece', 'tokens', 'intent', 'slotLabels', 'slotMask'] as const;
type ArrayName = (typeof ARRAYS)[number];
type Typed = Int32Array | Float32Array | Uint8Array;
const CTORS: Record<ArrayName, new (b: ArrayBuffer, o: number, n: number) => Typed> = {
  ids: Int32Array,
  mask: Float32Array,
  wordIndex: Int32Array,
  firstPiece: Uint8Array,
  tokens: Int32Array,
  intent: Int32Array,
  slotLabels: Int32Array,
  slotMask: Float32Array,
};

interface Header {
  format: number;
  key: string;
  n: number;
  length: number;
  pieces: number;
  padId: number;
  arrays: { name: ArrayName; offset: number; count: number }[];
  texts?: readonly string[];
}

/** A key for a table: the tokenizer (id + full config), the texts and their languages, and what else shapes it. */
export function tokenCacheKey(parts: {
  tokenizer: unknown;
  texts: readonly string[];
  langs?: readonly (string | undefined)[];
  extra?: unknown;
}): string {
  const h = createHash('sha1').update(
    `${FORMAT}|${JSON.stringify(parts.tokenizer)}|${JSON.stringify(parts.extra ?? null)}|${endianness()}\n`,
  );
  parts.texts.forEach((t, i) => h.update(`${parts.langs?.[i] ?? ''}\u0001${t}\u0000`));
  return h.digest('hex');
}

/**
 * A token table (with query labels, if any) from `<dir>/tokens-<key>.bin`, or built by `build` and written
 * there atomically. Texts are tokenized once per distinct (tokenizer, texts) and reused by later runs.
 */
export function cachedTable<T extends TokenTable>(
  dir: string | undefined,
  key: string,
  build: () => T,
  log?: (l: string) => void,
): T {
  if (!dir) return build();
  const file = join(dir, `tokens-${key.slice(0, 16)}.bin`);
  const hit = existsSync(file) ? readTable<T>(file, key) : undefined;
  if (hit) return hit;
  const t = build();
  try {
    writeFileAtomic(file, encodeTable(t, key));
  } catch (e) {
    log?.(
      `unir: could not write the token cache ${file} (${(e as Error).message.split('\n')[0]}); continuing without it`,
    );
  }
  return t;
}

function encodeTable(t: TokenTable, key: string): Uint8Array {
  const present = ARRAYS.filter((a) => (t as unknown as Record<string, Typed | undefined>)[a] !== undefined);
  let offset = 0;
  const arrays = present.map((name) => {
    const a = (t as unknown as Record<string, Typed>)[name]!;
    const entry = { name, offset, count: a.length };
    offset += Math.ceil(a.byteLength / 4) * 4;
    return entry;
  });
  const header: Header = {
    format: FORMAT,
    key,
    n: t.n,
    length: t.length,
    pieces: t.pieces,
    padId: t.padId,
    arrays,
    ...(t.texts ? { texts: t.texts } : {}),
  };
  const head = Buffer.from(JSON.stringify(header));
  const headLen = Math.ceil((head.byteLength + 4) / 4) * 4;
  const out = new Uint8Array(headLen + offset);
  new DataView(out.buffer).setUint32(0, head.byteLength, true);
  out.set(head, 4);
  for (const e of arrays) {
    const a = (t as unknown as Record<string, Typed>)[e.name]!;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), headLen + e.offset);
  }
  return out;
}

function readTable<T extends TokenTable>(file: string, key: string): T | undefined {
  try {
    const buf = readFileSync(file);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    const headBytes = new DataView(ab).getUint32(0, true);
    const header = JSON.parse(Buffer.from(ab, 4, headBytes).toString('utf8')) as Header;
    if (header.format !== FORMAT || header.key !== key) return undefined;
    const headLen = Math.ceil((headBytes + 4) / 4) * 4;
    const out: Record<string, unknown> = {
      n: header.n,
      length: header.length,
      pieces: header.pieces,
      padId: header.padId,
      ...(header.texts ? { texts: header.texts } : {}),
    };
    for (const e of header.arrays) out[e.name] = new CTORS[e.name](ab, headLen + e.offset, e.count);
    return out as unknown as T;
  } catch {
    return undefined; // unreadable or torn: rebuild
  }
}

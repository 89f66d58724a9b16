import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { cacheRoot } from '../data/cache-dir';
import { writeFileAtomic } from '../fs-atomic';
import type { ModelFingerprint } from './fingerprint';
import { progressLine } from './progress';

/** Bump when the segment layout changes: older folders are then ignored (and pruned with their model). */
const FORMAT = 1;
/** More segment files than this are merged into one when the cache opens. */
const MAX_SEGMENTS = 16;

/** What a cache folder holds: written once as source.json. */
interface Source {
  format: number;
  model: string; // absolute model path
  fingerprint: string;
  preprocessing: unknown;
  width: number;
}

interface SegmentHeader {
  format: number;
  width: number;
  keys: string[];
}

export interface FeatureCacheStats {
  /** Rows read from disk when the cache opened. */
  loaded: number;
  /** Lookups answered from the cache (memory or disk). */
  hits: number;
  /** Rows computed by the model (and stored). */
  computed: number;
  /** Rows written to disk so far. */
  written: number;
}

/** The stable key of one item: sha1 of its bytes (a text's UTF-8, an image's Float32 pixels), 32 hex digits. */
export function itemKey(item: string | Float32Array): string {
  const h = createHash('sha1');
  if (typeof item === 'string') h.update(item, 'utf8');
  else h.update(new Uint8Array(item.buffer, item.byteOffset, item.byteLength));
  return h.digest('hex').slice(0, 32);
}

/** sha1 (hex) of a JSON value: the preprocessing part of a cache folder's name. */
const jsonHash = (v: unknown) => createHash('sha1').update(JSON.stringify(v)).digest('hex');

/**
 * Frozen-tower outputs, one Float32 row of width F per item, for one (model fingerprint, preprocessing):
 * `<cacheRoot>/features/<name>-<model hash>-<preprocessing hash>/` holding source.json and segment files
 * `seg-*.f32` (a u32 header length, a JSON header {format, width, keys}, padding to 4 bytes, then the rows
 * (N, F) as Float32 in the machine's byte order, which is part of the folder key). Every run and sweep trial
 * of the same model and preprocessing shares the folder; each flush writes a new segment atomically, so
 * concurrent trials never tear each other's files. Opening the cache removes the folders of the same model path
 * whose fingerprint differs (the model files changed). `dir` undefined: memory only.
 */
export class FeatureCache {
  readonly dir: string | undefined;
  readonly stats: FeatureCacheStats = { loaded: 0, hits: 0, computed: 0, written: 0 };
  private readonly rows = new Map<string, Float32Array>();
  private pending: [string, Float32Array][] = [];

  constructor(
    readonly name: string,
    readonly model: ModelFingerprint,
    readonly preprocessing: unknown,
    readonly width: number,
    o: { persist?: boolean; root?: string } = {},
  ) {
    if (o.persist === false) return;
    const root = o.root ?? join(cacheRoot(), 'features');
    const slug = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40);
    const prep = { preprocessing, width, endianness: endianness(), format: FORMAT };
    this.dir = join(root, `${slug}-${model.hash.slice(0, 12)}-${jsonHash(prep).slice(0, 12)}`);
    try {
      pruneStale(root, model, this.dir);
      mkdirSync(this.dir, { recursive: true });
      const src = join(this.dir, 'source.json');
      if (!existsSync(src)) {
        const s: Source = { format: FORMAT, model: model.path, fingerprint: model.hash, preprocessing, width };
        writeFileAtomic(src, `${JSON.stringify(s, null, 2)}\n`);
      }
      this.load();
    } catch (e) {
      progressLine(
        `unir: feature cache ${this.dir} unusable (${(e as Error).message.split('\n')[0]}); features stay in memory`,
      );
      (this as { dir: string | undefined }).dir = undefined;
    }
  }

  get size(): number {
    return this.rows.size;
  }

  /** The row of `key` (a view: do not write to it), counting a hit; undefined when absent. */
  get(key: string): Float32Array | undefined {
    const r = this.rows.get(key);
    if (r) this.stats.hits++;
    return r;
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  /** Stores a computed row (copied); written by the next flush. */
  put(key: string, row: Float32Array): void {
    if (row.length !== this.width)
      throw new Error(`FeatureCache.put: row of ${row.length} values, expected ${this.width}`);
    if (this.rows.has(key)) return;
    const copy = Float32Array.from(row);
    this.rows.set(key, copy);
    this.pending.push([key, copy]);
    this.stats.computed++;
  }

  /** Writes the rows computed since the last flush as one new segment (nothing when there are none). */
  flush(): void {
    if (!this.dir || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const file = join(this.dir, `seg-${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}.f32`);
    try {
      writeFileAtomic(file, encodeSegment(batch, this.width));
      this.stats.written += batch.length;
    } catch (e) {
      progressLine(
        `unir: could not write ${file} (${(e as Error).message.split('\n')[0]}); ${batch.length} features stay in memory only`,
      );
    }
  }

  private load(): void {
    const segs = readdirSync(this.dir!)
      .filter((f) => f.startsWith('seg-') && f.endsWith('.f32'))
      .sort();
    const read: string[] = [];
    for (const f of segs) {
      const seg = readSegment(join(this.dir!, f), this.width);
      if (!seg) continue; // torn or from another format: ignored
      read.push(f);
      seg.keys.forEach((k, i) => {
        if (!this.rows.has(k)) this.rows.set(k, seg.data.subarray(i * this.width, (i + 1) * this.width));
      });
    }
    this.stats.loaded = this.rows.size;
    if (read.length > MAX_SEGMENTS) this.compact(read);
  }

  /** Merges many small segments into one (a concurrent reader that misses a removed file just reads fewer rows). */
  private compact(files: string[]): void {
    const all = [...this.rows];
    const file = join(this.dir!, `seg-${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}.f32`);
    writeFileAtomic(file, encodeSegment(all, this.width));
    for (const f of files) rmSync(join(this.dir!, f), { force: true });
  }
}

function encodeSegment(rows: readonly [string, Float32Array][], width: number): Uint8Array {
  const header: SegmentHeader = { format: FORMAT, width, keys: rows.map(([k]) => k) };
  const head = Buffer.from(JSON.stringify(header));
  const headLen = Math.ceil((head.byteLength + 4) / 4) * 4;
  const out = new Uint8Array(headLen + rows.length * width * 4);
  new DataView(out.buffer).setUint32(0, head.byteLength, true);
  out.set(head, 4);
  const data = new Float32Array(out.buffer, headLen, rows.length * width);
  rows.forEach(([, r], i) => data.set(r, i * width));
  return out;
}

function readSegment(file: string, width: number): { keys: string[]; data: Float32Array } | undefined {
  try {
    const buf = readFileSync(file);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    const headBytes = new DataView(ab).getUint32(0, true);
    const header = JSON.parse(Buffer.from(ab, 4, headBytes).toString('utf8')) as SegmentHeader;
    const headLen = Math.ceil((headBytes + 4) / 4) * 4;
    if (
      header.format !== FORMAT ||
      header.width !== width ||
      ab.byteLength !== headLen + header.keys.length * width * 4
    )
      return undefined;
    return { keys: header.keys, data: new Float32Array(ab, headLen, header.keys.length * width) };
  } catch {
    return undefined;
  }
}

/** Removes cache folders of the same model path whose fingerprint is not the current one: the files changed. */
function pruneStale(root: string, model: ModelFingerprint, keep: string): void {
  if (!existsSync(root)) return;
  for (const d of readdirSync(root)) {
    const dir = join(root, d);
    if (dir === keep) continue;
    let s: Source;
    try {
      s = JSON.parse(readFileSync(join(dir, 'source.json'), 'utf8')) as Source;
    } catch {
      continue;
    }
    if (s.model === model.path && s.fingerprint !== model.hash) {
      rmSync(dir, { recursive: true, force: true });
      progressLine(`unir: removed cached features of ${model.path} from before its files changed (${dir})`);
    }
  }
}

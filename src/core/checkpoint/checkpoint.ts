import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { asWasm, typed } from '../backend/wasm-heap';
import { UserError } from '../errors';
import { CHECKPOINT_FORMAT, checkpointIOHandler, CheckpointReadError, writeCheckpointDir } from './file-io';

/** A checkpoint directory name: step-00000120 (global step, zero-padded so names sort by step). */
export const checkpointName = (globalStep: number) => `step-${String(globalStep).padStart(8, '0')}`;
const NAME_RE = /^step-(\d{8,})$/;

export interface CheckpointEntry {
  name: string;
  dir: string;
  globalStep: number;
}

/** The checkpoints under `checkpointsDir`, oldest first (temp and aside directories are not listed). */
export function listCheckpoints(checkpointsDir: string): CheckpointEntry[] {
  if (!existsSync(checkpointsDir)) return [];
  return readdirSync(checkpointsDir)
    .map((name) => ({ name, m: NAME_RE.exec(name) }))
    .filter((x) => x.m)
    .map(({ name, m }) => ({ name, dir: join(checkpointsDir, name), globalStep: Number(m![1]) }))
    .sort((a, b) => a.globalStep - b.globalStep);
}

/**
 * Writes `tensors` (every variable and optimizer slot, by stable name) and `meta` (JSON: step, stage, RNG
 * and sampler state, ...) as checkpoints/step-N/{model.json, weights.bin}, atomically; then keeps only the
 * newest `keep` checkpoints. Returns the directory.
 */
export async function saveCheckpoint(...args: Parameters<typeof startCheckpoint>): Promise<string> {
  return (await startCheckpoint(...args)).written;
}

/** A checkpoint being written: `written` resolves with its directory once it is in place and older ones are pruned. */
export interface CheckpointWrite {
  dir: string;
  written: Promise<string>;
}

/**
 * Where a run's checkpoints copy their values: one buffer kept from save to save (a fresh one's first write costs a
 * page fault per 4 KiB: ≈ 70 ms for the default recipe's 112 MB, against ≈ 11 ms into pages already mapped). Whoever
 * holds it starts a checkpoint with it only after the previous one's `written` has settled (the trainer does).
 */
export interface SnapshotBuffer {
  bytes?: Uint8Array;
}

/**
 * saveCheckpoint in two halves: resolves once the tensors' values and `meta` are copied (the caller may then change
 * them: train on), while the copy is hashed and written in the background (`written`; libuv's threads do the work).
 */
export async function startCheckpoint(
  checkpointsDir: string,
  globalStep: number,
  tensors: tf.NamedTensorMap,
  meta: Record<string, unknown>,
  keep = Infinity,
  buffer?: SnapshotBuffer,
): Promise<CheckpointWrite> {
  const dir = join(checkpointsDir, checkpointName(globalStep));
  const { data, specs } = snapshot(tensors, buffer) ?? (await encoded(tensors));
  const written = writeCheckpointDir(dir, data, {
    format: CHECKPOINT_FORMAT,
    generatedBy: `unir (tfjs ${tf.version_core})`,
    weightSpecs: specs,
    userDefinedMetadata: JSON.parse(JSON.stringify(meta)) as Record<string, unknown>,
  }).then(() => {
    pruneCheckpoints(checkpointsDir, keep);
    return dir;
  });
  return { dir, written };
}

/**
 * Every tensor's bytes in one buffer, in the map's order, with their specs: tf.io.encodeWeights' layout for float32
 * and int32, copied once (read from the wasm heap where the data lives there), into `buffer`'s bytes where they are
 * large enough (else a new buffer, kept there). Null for other dtypes.
 */
function snapshot(
  tensors: tf.NamedTensorMap,
  buffer?: SnapshotBuffer,
): { data: Uint8Array; specs: tf.io.WeightsManifestEntry[] } | null {
  const entries = Object.entries(tensors);
  if (entries.some(([, t]) => t.dtype !== 'float32' && t.dtype !== 'int32')) return null;
  const size = entries.reduce((n, [, t]) => n + 4 * t.size, 0);
  if (buffer && !(buffer.bytes && buffer.bytes.byteLength >= size)) buffer.bytes = new Uint8Array(size);
  const data = buffer ? buffer.bytes!.subarray(0, size) : new Uint8Array(size);
  const be = tf.getBackend() === 'wasm' ? asWasm(tf.backend()) : undefined;
  const specs: tf.io.WeightsManifestEntry[] = [];
  let at = 0;
  for (const [name, t] of entries) {
    const v = be?.dataIdMap.has(t.dataId) ? typed(be, t) : t.dataSync();
    data.set(new Uint8Array(v.buffer, v.byteOffset, 4 * t.size), at);
    at += 4 * t.size;
    specs.push({ name, shape: [...t.shape], dtype: t.dtype as 'float32' | 'int32' });
  }
  return { data, specs };
}

async function encoded(tensors: tf.NamedTensorMap): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return { data: new Uint8Array(tf.io.CompositeArrayBuffer.join(data)), specs };
}

/** Removes all but the newest `keep` checkpoints, plus leftovers of interrupted writes. */
export function pruneCheckpoints(checkpointsDir: string, keep: number): void {
  const all = listCheckpoints(checkpointsDir);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) rmSync(c.dir, { recursive: true, force: true });
  for (const f of existsSync(checkpointsDir) ? readdirSync(checkpointsDir) : []) {
    if (/\.(tmp|old)-\d+-\d+$/.test(f)) rmSync(join(checkpointsDir, f), { recursive: true, force: true });
  }
}

export interface LoadedCheckpoint {
  dir: string;
  /** The caller owns these tensors (assign them, then dispose). */
  tensors: tf.NamedTensorMap;
  meta: Record<string, unknown>;
}

/** Reads a checkpoint directory; anything unreadable is a one-line UserError that says what to do. */
export async function loadCheckpoint(dir: string, fix?: string): Promise<LoadedCheckpoint> {
  try {
    const a = await checkpointIOHandler(dir).load();
    let tensors: tf.NamedTensorMap;
    try {
      tensors = tf.io.decodeWeights(a.weightData!, a.weightSpecs!);
    } catch (e) {
      throw new CheckpointReadError(`weights do not decode (${(e as Error).message.split('\n')[0]})`);
    }
    return { dir, tensors, meta: (a.userDefinedMetadata ?? {}) as Record<string, unknown> };
  } catch (e) {
    if (!(e instanceof CheckpointReadError)) throw e;
    throw new UserError(
      `${dir}: unreadable checkpoint: ${e.message}; ${fix ?? 'delete this directory and resume from an older checkpoint, or start the run again'}`,
    );
  }
}

/**
 * The newest checkpoint under `checkpointsDir`, loaded. If it is corrupt the error names the next older one
 * to fall back to (by deleting the corrupt directory): a resume never silently loses more than it must.
 */
export async function loadLatestCheckpoint(checkpointsDir: string): Promise<LoadedCheckpoint | undefined> {
  const all = listCheckpoints(checkpointsDir);
  const latest = all[all.length - 1];
  if (!latest) return undefined;
  const prev = all[all.length - 2];
  const fix = prev
    ? `delete it ('rm -r ${latest.dir}') to resume from ${prev.name}`
    : `delete it ('rm -r ${latest.dir}') and start the run again (no older checkpoint)`;
  return loadCheckpoint(latest.dir, fix);
}

import { createHash, webcrypto } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const CHECKPOINT_FORMAT = 'unir-checkpoint/1';

/** model.json of a checkpoint: the tfjs weights manifest, plus a checksum and unir's metadata. */
export interface CheckpointJson {
  format: string;
  generatedBy: string;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  weightsBytes: number;
  weightsSha256: string;
  userDefinedMetadata?: Record<string, unknown>;
}

/** Why a directory is not a readable checkpoint; the caller turns it into a one-line UserError. */
export class CheckpointReadError extends Error {}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Replaces `dir` by a fully written `tmp` in one rename (an older `dir` is moved aside first, then removed). */
export function swapInDir(tmp: string, dir: string): void {
  if (existsSync(dir)) {
    const old = `${dir}.old-${process.pid}-${Date.now()}`;
    renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(tmp, dir);
}

/**
 * Writes model.json + weights.bin (`data`, described by `weightSpecs`) into a sibling temp directory and renames it
 * into place as `dir`, so a reader (or a kill -9) sees the old checkpoint or the new one, never half of one. The
 * sha256 (WebCrypto's digest) and the file writes (fs/promises) run on libuv's threads, not on the caller's.
 */
export async function writeCheckpointDir(
  dir: string,
  data: Uint8Array,
  a: {
    format: string;
    generatedBy: string;
    weightSpecs: tf.io.WeightsManifestEntry[];
    userDefinedMetadata?: Record<string, unknown>;
  },
): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await mkdir(tmp);
    // the hash and the weights' write at once (two of libuv's threads), then model.json with the hash
    const [digest] = await Promise.all([
      webcrypto.subtle.digest('SHA-256', data),
      writeFile(join(tmp, WEIGHTS_BIN), data),
    ]);
    const json: CheckpointJson = {
      format: a.format,
      generatedBy: a.generatedBy,
      weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs }],
      weightsBytes: data.byteLength,
      weightsSha256: Buffer.from(digest).toString('hex'),
      userDefinedMetadata: a.userDefinedMetadata,
    };
    await writeFile(join(tmp, MODEL_JSON), `${JSON.stringify(json)}\n`);
    swapInDir(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * A tfjs IOHandler for a directory holding model.json + weights.bin. `save` writes both with writeCheckpointDir
 * (atomically); `load` verifies the size and sha256 of weights.bin.
 */
export function checkpointIOHandler(dir: string): tf.io.IOHandler & Required<Pick<tf.io.IOHandler, 'save' | 'load'>> {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
      await writeCheckpointDir(dir, data, {
        format: artifacts.format ?? CHECKPOINT_FORMAT,
        generatedBy: artifacts.generatedBy ?? 'unir',
        weightSpecs: artifacts.weightSpecs ?? [],
        userDefinedMetadata: artifacts.userDefinedMetadata as Record<string, unknown> | undefined,
      });
      return {
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength },
      };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      let json: CheckpointJson;
      try {
        json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8')) as CheckpointJson;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new CheckpointReadError(
          err.code === 'ENOENT' ? `${MODEL_JSON} is missing` : `${MODEL_JSON} is not valid JSON`,
        );
      }
      if (json.format !== CHECKPOINT_FORMAT || !Array.isArray(json.weightsManifest?.[0]?.weights)) {
        throw new CheckpointReadError(
          `${MODEL_JSON} is not a ${CHECKPOINT_FORMAT} manifest (format ${JSON.stringify(json.format)})`,
        );
      }
      let data: Buffer;
      try {
        data = readFileSync(join(dir, WEIGHTS_BIN));
      } catch {
        throw new CheckpointReadError(`${WEIGHTS_BIN} is missing`);
      }
      if (data.byteLength !== json.weightsBytes)
        throw new CheckpointReadError(
          `${WEIGHTS_BIN} has ${data.byteLength} bytes, the manifest says ${json.weightsBytes}`,
        );
      if (sha256(data) !== json.weightsSha256)
        throw new CheckpointReadError(`${WEIGHTS_BIN} does not match its sha256 (corrupted)`);
      const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
      return {
        format: json.format,
        generatedBy: json.generatedBy,
        weightSpecs: json.weightsManifest[0]!.weights,
        weightData,
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
      };
    },
  };
}

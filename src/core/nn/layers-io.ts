import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';

/**
 * A tfjs model directory, as `tfjs.converters.save_keras_model` or tf.io's file handler write it:
 * `model.json` ({ format, modelTopology, weightsManifest: [{ paths, weights }] }) and the weight files it names.
 */
interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology?: object;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: { [key: string]: {} };
  signature?: {};
  modelInitializer?: {};
}

/** Reads a model directory (or its model.json) into ModelArtifacts, synchronously; UserErrors name the file. */
export function readModelDir(path: string): tf.io.ModelArtifacts {
  const file = path.endsWith('.json') ? resolve(path) : join(resolve(path), 'model.json');
  if (!existsSync(file))
    throw new UserError(
      `${file}: no such file; point 'path' at a tfjs model directory holding model.json and its weight files`,
    );
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!json.modelTopology) throw new UserError(`${file}: modelTopology is missing; is this a tfjs model.json?`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const [g, group] of (json.weightsManifest ?? []).entries()) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const wf = join(dirname(file), p);
      if (!existsSync(wf))
        throw new UserError(`${file}: weightsManifest[${g}].paths names '${p}', which does not exist next to it`);
      const b = readFileSync(wf);
      buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: tf.io.CompositeArrayBuffer.join(buffers),
    ...(json.trainingConfig ? { trainingConfig: json.trainingConfig } : {}),
    ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
    ...(json.signature ? { signature: json.signature } : {}),
    ...(json.modelInitializer ? { modelInitializer: json.modelInitializer } : {}),
  };
}

/**
 * An IOHandler for a local model directory: `load` reads it (readModelDir); `save` writes model.json +
 * weights.bin into a temp directory and renames it into place (readers never see half a model).
 * Use with `model.save(modelDir(dir))` and `tf.loadLayersModel(modelDir(dir))`.
 */
export function modelDir(dir: string): tf.io.IOHandler {
  const target = resolve(dir);
  return {
    load: async () => readModelDir(target),
    save: async (a: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      if (a.modelTopology instanceof ArrayBuffer)
        throw new UserError(`${target}: binary model topologies are not supported; save a layers model`);
      const weights = a.weightData ? tf.io.CompositeArrayBuffer.join(a.weightData) : new ArrayBuffer(0);
      const json: ModelJson = {
        format: a.format ?? 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy ?? null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }],
        ...(a.trainingConfig ? { trainingConfig: a.trainingConfig } : {}),
        ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
      };
      const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
      const old = `${target}.old-${process.pid}-${Date.now()}`;
      try {
        mkdirSync(tmp, { recursive: true });
        writeFileSync(join(tmp, 'weights.bin'), new Uint8Array(weights));
        writeFileSync(join(tmp, 'model.json'), JSON.stringify(json));
        if (existsSync(target)) renameSync(target, old);
        renameSync(tmp, target);
        rmSync(old, { recursive: true, force: true });
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(a.modelTopology).length,
          weightSpecsBytes: JSON.stringify(a.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

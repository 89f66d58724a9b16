import { z } from 'zod';
import { UserError } from '../errors';
import type { ModelFingerprint } from './fingerprint';

/** Config fields every pretrained tower has (zod shapes; defaults live here). */
export const towerFields = {
  head: z
    .enum(['linear', 'mlp', 'none'])
    .default('linear')
    .describe(
      "trained projection to D: 'linear', 'mlp' (Dense, GELU, Dense) or 'none' (the pretrained space as is; needs F = D)",
    ),
  headHidden: z.number().int().min(1).default(512).describe("hidden width of the 'mlp' head"),
  normalize: z.boolean().default(true).describe('L2-normalise the pretrained features before the head'),
  featureDim: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('F the model must output (checked when it loads; a mismatch is an error naming the model file)'),
  batchSize: z
    .number()
    .int()
    .min(1)
    .default(64)
    .describe('items per forward pass of the pretrained model when encoding'),
  cache: z
    .boolean()
    .default(true)
    .describe('keep frozen-tower features on disk ($UNIR_CACHE_DIR/features) for later runs and sweep trials'),
};

/** Text towers: how texts become model inputs and features. */
export const textFields = {
  maxLength: z
    .number()
    .int()
    .min(2)
    .default(128)
    .describe('tokens per text incl. special tokens; longer texts are truncated'),
  pooling: z
    .enum(['mean', 'cls'])
    .default('mean')
    .describe('token states → one vector: masked mean, or the first (CLS) token'),
  output: z
    .string()
    .min(1)
    .optional()
    .describe(
      'model output to read (default: a (B, F) embedding output if there is one, else the first (B, T, H) one, pooled)',
    ),
};

/** Image towers: data images (S, S, 3) in [0, 1] → model input. */
export const imageFields = {
  imageSize: z.number().int().min(2).default(32).describe('S of the images the data gives (data.imageSize)'),
  inputSize: z
    .number()
    .int()
    .min(2)
    .optional()
    .describe("side the model takes (default: from its input shape, else preprocessor_config.json's crop_size/size)"),
  mean: z
    .array(z.number())
    .length(3)
    .optional()
    .describe(
      'per-channel mean subtracted from [0, 1] pixels (default: preprocessor_config.json image_mean, else 0.5)',
    ),
  std: z
    .array(z.number())
    .length(3)
    .optional()
    .describe('per-channel std (default: preprocessor_config.json image_std, else 0.5)'),
  output: z
    .string()
    .min(1)
    .optional()
    .describe('model output to read (default: an embedding output, else the first one; (B, N, H) is mean-pooled)'),
};

/** The width check of `featureDim`: a one-line error naming the model file when the model outputs another F. */
export function checkWidth(width: number, featureDim: number | undefined, file: string, where: string): void {
  if (featureDim !== undefined && featureDim !== width) {
    throw new UserError(
      `${where}.featureDim: ${file} outputs ${width}-wide features, not ${featureDim}; set featureDim: ${width} (or leave it out), or point path at the model you meant`,
    );
  }
}

/** A short human form of a fingerprint for load lines: `3 files, 26.2 MB, sha1 4f2a…`. */
export const describeFingerprint = (fp: ModelFingerprint) =>
  `${fp.files} file${fp.files === 1 ? '' : 's'}, ${(fp.bytes / 1e6).toFixed(1)} MB, sha1 ${fp.hash.slice(0, 8)}`;

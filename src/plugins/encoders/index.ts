// The built-in encoders: the only file that lists them.
import type { EncoderPlugin } from '../../core/model/encoder';
import { imageCnn } from './image-cnn';
import { imageOnnx } from './image-onnx';
import { imageTfjs } from './image-tfjs';
import { imageVit } from './image-vit';
import { nluTransformer } from './nlu-transformer';
import { textOnnx } from './text-onnx';
import { textTfjs } from './text-tfjs';
import { textTransformer } from './text-transformer';
import { tfjsGraph } from './tfjs-graph';
import { useLiteEn } from './use-lite-en';

export const BUILTIN_ENCODERS = [
  textTransformer,
  imageVit,
  imageCnn,
  tfjsGraph,
  nluTransformer,
  useLiteEn,
  textOnnx,
  imageOnnx,
  textTfjs,
  imageTfjs,
] as const satisfies readonly EncoderPlugin[];
/** The ids of the built-in encoders, as a literal type. */
export type BuiltinEncoderId = (typeof BUILTIN_ENCODERS)[number]['id'];

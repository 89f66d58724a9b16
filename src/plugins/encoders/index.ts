// The built-in encoders: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';
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

export const BUILTIN_ENCODERS: readonly AnyPlugin[] = [textTransformer, imageVit, imageCnn, tfjsGraph, nluTransformer, useLiteEn, textOnnx, imageOnnx, textTfjs, imageTfjs];

import type { AugmentationPlugin } from '../../core/augment/augmentation';
import { colorJitter } from './color-jitter';
import { cutout } from './cutout';
import { grayscale } from './grayscale';
import { outline } from './outline';
import { randomAffine } from './random-affine';
import { strokeWidth } from './stroke-width';

export const BUILTIN_AUGMENTATIONS = [
  randomAffine,
  colorJitter,
  grayscale,
  cutout,
  strokeWidth,
  outline,
] as const satisfies readonly AugmentationPlugin[];
/** The ids of the built-in augmentations, as a literal type. */
export type BuiltinAugmentationId = (typeof BUILTIN_AUGMENTATIONS)[number]['id'];

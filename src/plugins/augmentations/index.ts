import type { AugmentationPlugin } from '../../core/augment/augmentation';
import { colorJitter } from './color-jitter';
import { cutout } from './cutout';
import { grayscale } from './grayscale';
import { randomAffine } from './random-affine';
import { strokeWidth } from './stroke-width';

export const BUILTIN_AUGMENTATIONS: readonly AugmentationPlugin[] = [randomAffine, colorJitter, grayscale, cutout, strokeWidth];

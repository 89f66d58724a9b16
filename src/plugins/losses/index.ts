// The built-in losses: the only file that lists them.
import type { LossPlugin } from '../../core/loss/loss';
import { distillMse } from './distill-mse';
import { infoNce } from './info-nce';
import { intentCe } from './intent-ce';
import { mseAlign } from './mse-align';
import { siglip } from './siglip';
import { slotCe } from './slot-ce';

export const BUILTIN_LOSSES = [
  infoNce,
  siglip,
  mseAlign,
  intentCe,
  slotCe,
  distillMse,
] as const satisfies readonly LossPlugin[];
/** The ids of the built-in losses, as a literal type. */
export type BuiltinLossId = (typeof BUILTIN_LOSSES)[number]['id'];

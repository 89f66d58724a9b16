// The built-in losses: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';
import { infoNce } from './info-nce';
import { intentCe } from './intent-ce';
import { mseAlign } from './mse-align';
import { siglip } from './siglip';
import { slotCe } from './slot-ce';

export const BUILTIN_LOSSES: readonly AnyPlugin[] = [infoNce, siglip, mseAlign, intentCe, slotCe];

// The built-in datasets: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';
import { emojiCldr } from './emoji-cldr';
import { manifest } from './manifest';

export const BUILTIN_DATASETS: readonly AnyPlugin[] = [emojiCldr, manifest];

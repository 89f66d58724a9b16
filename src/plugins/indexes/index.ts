// The built-in indexes: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';
import { exact } from './exact';
import { lancedbIndex } from './lancedb';

export const BUILTIN_INDEXES: readonly AnyPlugin[] = [exact, lancedbIndex];

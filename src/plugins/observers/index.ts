// The built-in observers: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';
import { consoleProgress } from './console-progress';
import { historyJsonl } from './history-jsonl';

export const BUILTIN_OBSERVERS: readonly AnyPlugin[] = [consoleProgress, historyJsonl];

// The built-in observers: the only file that lists them.
import type { defineObserver } from '../../core/train/observer';
import { consoleProgress } from './console-progress';
import { historyJsonl } from './history-jsonl';

export const BUILTIN_OBSERVERS = [consoleProgress, historyJsonl] as const satisfies readonly ReturnType<
  typeof defineObserver
>[];
/** The ids of the built-in observers, as a literal type. */
export type BuiltinObserverId = (typeof BUILTIN_OBSERVERS)[number]['id'];

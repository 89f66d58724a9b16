// The built-in metrics: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';
import { nlu } from './nlu';
import { retrieval } from './retrieval';

export const BUILTIN_METRICS: readonly AnyPlugin[] = [retrieval, nlu];

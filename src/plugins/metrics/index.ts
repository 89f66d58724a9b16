// The built-in metrics: the only file that lists them.
import type { MetricPlugin } from '../../core/eval/metric';
import { nlu } from './nlu';
import { retrieval } from './retrieval';

export const BUILTIN_METRICS = [retrieval, nlu] as const satisfies readonly MetricPlugin[];
/** The ids of the built-in metrics, as a literal type. */
export type BuiltinMetricId = (typeof BUILTIN_METRICS)[number]['id'];

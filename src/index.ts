// unir as a package (`import { runExperiment, sweep, defineLoss } from 'unir'`): the notebook API (run, sweep,
// compare, search, show) and the plugin API of 'unir/plugin'.
export * from './plugin';
export {
  byProfile,
  compareRuns,
  loadRun,
  profile,
  registerPlugin,
  runExperiment,
  search,
  show,
  sweep,
  umap,
  type ExperimentRun,
  type NotebookSearchOptions,
  type Profile,
  type RunExperimentOptions,
  type SweepOutcome,
  type UmapView,
} from './notebook/api';
export { registry } from './plugins';

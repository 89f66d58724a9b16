import type { Experiment } from '../config/experiment';
import type { Registry } from '../registry';
import { subsetRecords } from './subset';
import type { Dataset } from './dataset';
import { withDesignHoldout } from './holdout';

/**
 * The dataset of an experiment as its runs see it: the dataset plugin's records plus the design holdout, when set,
 * drawn from the train groups the run trains on (data.maxGroups.train chooses them with the run's seed).
 */
export async function experimentDataset(
  e: Pick<Experiment, 'data' | 'seed'>,
  registry: Registry,
  log: (line: string) => void,
  where = 'data',
): Promise<Dataset> {
  const { id, ...cfg } = e.data.dataset;
  const ds = await registry.create('dataset', id, cfg, { log }, `${where}.dataset`);
  if (!e.data.holdout) return ds;
  const maxGroups = e.data.maxGroups.train;
  const trained = maxGroups === undefined ? undefined : subsetRecords(ds.split('train'), { maxGroups, seed: e.seed });
  const within = trained && new Set([...trained.images, ...trained.texts].map((r) => r.group));
  return withDesignHoldout(ds, e.data.holdout, `${where}.holdout`, within);
}

import { hash32, mulberry32 } from '../rng';
import type { DatasetRecords, DatasetSplit } from './dataset';

/**
 * At most `maxGroups` groups of a split (chosen by a seeded hash of the group name, so the choice is stable
 * and independent of record order), in the given languages. Group-less queries are kept in proportion.
 */
export function subsetRecords(
  split: DatasetSplit,
  opts: { maxGroups?: number; languages?: readonly string[]; seed: number },
): DatasetRecords {
  const lang = (l: string) => !opts.languages || opts.languages.includes(l);
  let keepGroup = (_g: string) => true;
  let keepNull = (_id: string) => true;
  const groups = [...new Set([...split.images, ...split.texts].map((r) => r.group))];
  if (opts.maxGroups !== undefined && opts.maxGroups < groups.length) {
    const rank = (s: string) => hash32(`${opts.seed}/${s}`);
    const chosen = new Set(groups.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1)).slice(0, opts.maxGroups));
    keepGroup = (g) => chosen.has(g);
    const share = opts.maxGroups / groups.length;
    keepNull = (id) => mulberry32(rank(id))() < share; // mixed: FNV-1a's high bits barely move between similar ids
  }
  return {
    images: split.images.filter((r) => keepGroup(r.group)),
    texts: split.texts.filter((r) => keepGroup(r.group) && lang(r.lang)),
    queries: split.queries.filter((q) => lang(q.lang) && (q.group === null ? keepNull(q.id) : keepGroup(q.group))),
  };
}

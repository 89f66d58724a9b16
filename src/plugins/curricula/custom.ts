import { z } from 'zod';
import { defineCurriculum } from '../../core/config/curriculum';

/** No stages of its own: the experiment's `curriculum.stages` declares every stage in full. */
export const custom = defineCurriculum({
  id: 'custom',
  summary: 'Stages declared entirely in the experiment (curriculum.stages)',
  configSchema: z.strictObject({}),
  create: () => ({}),
});

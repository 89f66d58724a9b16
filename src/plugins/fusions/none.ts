import { z } from 'zod';
import { defineFusion } from '../../core/model/fusion';

/** No fusion: the query embedding is the plain text embedding (the ablation without an NLU path in retrieval). */
export const none = defineFusion({
  id: 'none',
  summary: 'Identity: queries are embedded like plain text; NLU runs only for its own heads',
  configSchema: z.strictObject({}),
  create() {
    return { usesNlu: false, variables: () => [], flops: () => 0, dispose: () => undefined };
  },
});

import { z } from 'zod';
import { UserError } from '../../core/errors';
import { defineDataset } from '../../core/data/dataset';
import { loadManifestDataset } from '../../core/data/load-manifest';

/**
 * Any dataset written in the unir manifest format (data-cards/FORMAT.md): images, captions, chunks and NLU
 * queries in one JSON Lines file, relevance = same group. Validates everything on load (every image is
 * decoded once); a problem → UserError `file:line: field: problem`.
 */
export const manifest = defineDataset({
  id: 'manifest',
  summary:
    'A dataset in the unir manifest format (JSON Lines: images, captions, chunks, NLU queries; see data-cards/FORMAT.md)',
  card: 'data-cards/FORMAT.md',
  configSchema: z.object({
    path: z.string().min(1).optional().describe('the manifest.jsonl; image paths in it are relative to its directory'),
    skipBadImages: z
      .boolean()
      .default(false)
      .describe(
        'drop missing/undecodable images with a warning instead of failing (at load, or at first use with checkImages: false)',
      ),
    checkImages: z
      .boolean()
      .default(true)
      .describe('decode every image on load (false: a bad image fails later, at first use, unless skipBadImages)'),
    imageRoot: z
      .string()
      .min(1)
      .optional()
      .describe(
        "a folder image paths may also lead into (default: only the manifest's folder; paths leading elsewhere are refused)",
      ),
    languages: z.array(z.string()).optional().describe('keep only texts and queries in these languages (default: all)'),
  }),
  async create(config, ctx) {
    if (!config.path)
      throw new UserError(
        "dataset 'manifest': config.path is required; give the path of a manifest.jsonl (see data-cards/FORMAT.md)",
      );
    return loadManifestDataset(config.path, { ...config, log: ctx?.log });
  },
});

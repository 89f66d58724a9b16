import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../core/errors';
import { buildEmojiCldr, defaultEmojiCldrDir, MANIFEST_FILE } from './emoji-cldr/build';
import { EMOJI_CLDR_LANGUAGES } from './emoji-cldr/languages';
import { defineDataset } from '../../core/data/dataset';
import { loadManifestDataset } from '../../core/data/load-manifest';

/**
 * The default dataset: ~1,600 emoji concepts in 12 languages (CLDR labels → captions, label + keywords +
 * category → chunks), google + twitter images for train / val, openmoji renders for test (seen concepts,
 * unseen design) and test-unseen (unseen concepts too), plus generated NLU queries (find_image,
 * find_document, set_reminder, play_music; slots object, time). Built locally from npm packages on first use
 * (≈ 30 s), then loaded from <root>/manifest.jsonl. Card: data-cards/emoji-cldr.md, data-cards/nlu-queries.md.
 */
export const emojiCldr = defineDataset({
  id: 'emoji-cldr',
  summary:
    'Emoji concepts in 12 languages: CLDR captions/chunks, google+twitter images (train/val), openmoji (test, test-unseen), NLU queries',
  card: 'data-cards/emoji-cldr.md',
  citation: [
    '@misc{openmoji, author = {Gro{\\ss}, Benedikt and Utz, Daniel and {The OpenMoji Contributors}}, title = {OpenMoji},',
    '  year = {2018--2026}, url = {https://openmoji.org}, note = {License: CC BY-SA 4.0}}',
  ].join('\n'),
  configSchema: z.object({
    root: z
      .string()
      .min(1)
      .optional()
      .describe('dataset directory holding manifest.jsonl; default <repo>/data/emoji-cldr'),
    languages: z
      .array(z.enum(EMOJI_CLDR_LANGUAGES))
      .min(1)
      .default([...EMOJI_CLDR_LANGUAGES])
      .describe('texts and queries kept at load'),
    build: z
      .boolean()
      .default(true)
      .describe('build (or rebuild an outdated build) on first use; false: the manifest must exist'),
    checkImages: z.boolean().default(false).describe('decode every image at load (the build wrote them; slow)'),
  }),
  build: (o) => buildEmojiCldr(o),
  async create(config, ctx) {
    const root = config.root ?? defaultEmojiCldrDir();
    const manifestPath = join(root, MANIFEST_FILE);
    if (config.build) await buildEmojiCldr({ outDir: root, log: ctx?.log });
    else if (!existsSync(manifestPath)) {
      throw new UserError(
        `emoji-cldr: ${manifestPath} not found; build it with 'unir data build emoji-cldr' or set build: true`,
      );
    }
    const all = config.languages.length === EMOJI_CLDR_LANGUAGES.length;
    return loadManifestDataset(manifestPath, {
      languages: all ? undefined : config.languages,
      checkImages: config.checkImages,
      log: ctx?.log,
    });
  },
});

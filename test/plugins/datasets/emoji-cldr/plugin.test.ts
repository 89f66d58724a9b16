import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COUNTS_FILE, emojiCldrBuildVersion, MANIFEST_FILE } from '../../../../src/plugins/datasets/emoji-cldr/build';
import { EMOJI_CLDR_LANGUAGES } from '../../../../src/plugins/datasets/emoji-cldr/languages';
import { emojiCldr } from '../../../../src/plugins/datasets/emoji-cldr';

const tmp = mkdtempSync(join(tmpdir(), 'emoji-cldr-plugin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A tiny manifest carrying the current build version, so create() finds it up to date and only loads it. */
function tinyBuild(dir: string) {
  const header = {
    type: 'header',
    name: 'emoji-cldr',
    version: emojiCldrBuildVersion(),
    languages: [...EMOJI_CLDR_LANGUAGES],
    intents: ['find_image', 'play_music'],
    slotLabels: ['object', 'time'],
  };
  const text = 'find me a picture of dog face from last month';
  const records = [
    header,
    {
      type: 'image',
      id: 'img/google/1F436',
      group: 'dog-face',
      split: 'train',
      path: 'images/google/1F436.png',
      family: 'google',
    },
    {
      type: 'text',
      id: 'cap/1F436/en/train',
      group: 'dog-face',
      split: 'train',
      lang: 'en',
      role: 'caption',
      text: 'dog face',
    },
    {
      type: 'text',
      id: 'cap/1F436/th/train',
      group: 'dog-face',
      split: 'train',
      lang: 'th',
      role: 'caption',
      text: 'หน้าสุนัข',
    },
    {
      type: 'query',
      id: 'q/dog-face/en/0/train',
      group: 'dog-face',
      split: 'train',
      lang: 'en',
      text,
      intent: 'find_image',
      slots: [
        { label: 'object', start: 21, end: 29 },
        { label: 'time', start: 35, end: 45 },
      ],
      semanticText: 'dog face',
    },
  ];
  writeFileSync(join(dir, MANIFEST_FILE), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(dir, COUNTS_FILE), '{}');
}

describe('emoji-cldr dataset plugin', () => {
  it('parses {} to its defaults: all 12 languages, build on first use, default root', () => {
    expect(emojiCldr.configSchema.parse({})).toEqual({
      languages: [...EMOJI_CLDR_LANGUAGES],
      build: true,
      checkImages: false,
    });
    expect(emojiCldr.kind).toBe('dataset');
    expect(() => emojiCldr.configSchema.parse({ languages: ['xx'] })).toThrow();
  });

  it('with build: false, names the missing manifest and how to build it', async () => {
    const root = join(tmp, 'none');
    await expect(emojiCldr.create(emojiCldr.configSchema.parse({ root, build: false }), undefined)).rejects.toThrow(
      `emoji-cldr: ${join(root, MANIFEST_FILE)} not found; build it with 'unir data build emoji-cldr' or set build: true`,
    );
  });

  it('skips an up-to-date build and loads the manifest, keeping only the configured languages', async () => {
    const root = join(tmp, 'tiny');
    mkdirSync(root, { recursive: true });
    tinyBuild(root);
    const lines: string[] = [];
    const ds = await emojiCldr.create(emojiCldr.configSchema.parse({ root, languages: ['en'] }), {
      log: (l) => lines.push(l),
    });
    expect(lines.some((l) => l.includes('up to date'))).toBe(true);
    expect(ds.version).toBe(emojiCldrBuildVersion());
    expect(ds.languages).toEqual(['en']);
    expect(ds.texts.map((t) => t.id)).toEqual(['cap/1F436/en/train']);
    expect(ds.images[0]!.file).toBe(join(root, 'images/google/1F436.png'));
    const q = ds.split('train').queries[0]!;
    expect(q.text.slice(q.slots[0]!.start, q.slots[0]!.end)).toBe('dog face');
    const all = await emojiCldr.create(emojiCldr.configSchema.parse({ root }), undefined);
    expect(all.texts).toHaveLength(2);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../../../core/errors';
import { EMOJI_CLDR_LANGUAGES, type Family } from './languages';

const requireHere = createRequire(__filename);

export const SOURCE_PACKAGES = [
  'emojibase-data',
  'emoji-datasource-google',
  'emoji-datasource-twitter',
  'openmoji',
] as const;

/** Directory of an installed npm package (resolved from this file, as Node would). */
export function packageDir(name: string): string {
  try {
    return dirname(requireHere.resolve(`${name}/package.json`));
  } catch {
    throw new UserError(
      `emoji-cldr: npm package '${name}' is not installed; run 'npm ci' (it is pinned in package.json)`,
    );
  }
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

/** One base emoji (no skin-tone variant) with its CLDR texts per language and its source images. */
export interface EmojiEntry {
  hexcode: string; // emojibase hexcode, e.g. '1F9D1-200D-1F33E'
  emoji: string;
  order: number; // emojibase order (CLDR order)
  version: number; // Unicode emoji version
  label: Record<string, string>; // lang → CLDR label
  tags: Record<string, string[]>; // lang → CLDR keywords
  groupName: Record<string, string>; // lang → emoji group name ('animals & nature')
  subgroupName: Record<string, string>; // lang → emoji subgroup name ('animal-mammal' localised)
  images: Partial<Record<Family, string>>; // family → absolute source path (PNG for google/twitter, SVG for openmoji)
}

interface RawEmoji {
  label: string;
  hexcode: string;
  emoji: string;
  tags?: string[];
  group?: number;
  subgroup?: number;
  order?: number;
  version: number;
}
interface RawMessages {
  groups: { message: string; order: number }[];
  subgroups: { message: string; order: number }[];
}

const COMPONENT_GROUP = 2;
const FLAGS_GROUP = 9;

/** emoji-datasource's key: `unified` without FE0F, upper-case (emojibase hexcodes normalise the same way). */
export function normHex(hex: string): string {
  return hex
    .toUpperCase()
    .split('-')
    .filter((p) => p !== 'FE0F')
    .join('-');
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** family → normalised hexcode → absolute PNG path (64×64) for an emoji-datasource package. */
function datasourceImages(family: 'google' | 'twitter'): Map<string, string> {
  const dir = packageDir(`emoji-datasource-${family}`);
  const rows = readJson<{ unified: string; image: string; [k: string]: unknown }[]>(join(dir, 'emoji.json'));
  const out = new Map<string, string>();
  for (const r of rows) {
    if (r[`has_img_${family}`] !== true) continue;
    const p = join(dir, 'img', family, '64', r.image);
    if (existsSync(p)) out.set(normHex(r.unified), p);
  }
  return out;
}

/**
 * Every emoji kept by emoji-cldr, in emojibase order: base emoji only (skin tones live under `skins` and are
 * not read), no Component group, no Flags group, no ungrouped regional indicators. Labels and tags come from
 * emojibase-data's CLDR annotations for each language; every kept emoji has them in all 12 languages.
 */
export function loadEmojiCatalog(languages: readonly string[] = EMOJI_CLDR_LANGUAGES): EmojiEntry[] {
  const base = packageDir('emojibase-data');
  const perLang = new Map<string, Map<string, RawEmoji>>();
  const messages = new Map<string, RawMessages>();
  for (const lang of languages) {
    const file = join(base, lang, 'data.json');
    if (!existsSync(file))
      throw new UserError(
        `emoji-cldr: language '${lang}': emojibase-data has no ${lang}/data.json; use some of ${EMOJI_CLDR_LANGUAGES.join(', ')}`,
      );
    perLang.set(lang, new Map(readJson<RawEmoji[]>(file).map((e) => [e.hexcode, e])));
    messages.set(lang, readJson<RawMessages>(join(base, lang, 'messages.json')));
  }
  const google = datasourceImages('google');
  const twitter = datasourceImages('twitter');
  const openmojiDir = join(packageDir('openmoji'), 'color', 'svg');
  const en = readJson<RawEmoji[]>(join(base, 'en', 'data.json'));
  const out: EmojiEntry[] = [];
  for (const e of en) {
    if (e.group === undefined || e.group === COMPONENT_GROUP || e.group === FLAGS_GROUP) continue;
    const entry: EmojiEntry = {
      hexcode: e.hexcode,
      emoji: e.emoji,
      order: e.order ?? 0,
      version: e.version,
      label: {},
      tags: {},
      groupName: {},
      subgroupName: {},
      images: {},
    };
    for (const lang of languages) {
      const l = perLang.get(lang)!.get(e.hexcode);
      if (!l?.label)
        throw new Error(
          `emojibase-data/${lang}/data.json: ${e.hexcode}: no label (expected CLDR annotations for every kept emoji)`,
        );
      const m = messages.get(lang)!;
      entry.label[lang] = l.label;
      entry.tags[lang] = l.tags ?? [];
      entry.groupName[lang] = m.groups.find((g) => g.order === e.group)?.message ?? '';
      entry.subgroupName[lang] = m.subgroups.find((g) => g.order === e.subgroup)?.message ?? '';
    }
    const key = normHex(e.hexcode);
    const g = google.get(key);
    const t = twitter.get(key);
    if (g) entry.images.google = g;
    if (t) entry.images.twitter = t;
    const om = join(openmojiDir, `${e.hexcode}.svg`);
    if (existsSync(om)) entry.images.openmoji = om;
    out.push(entry);
  }
  return out.sort((a, b) => a.order - b.order);
}

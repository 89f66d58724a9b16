// The emoji-cldr manifest records: JSON Lines, one per line, relevance = same `group` (the agreed format of
// src/core/data's manifest loader; slots here always use UTF-16 char offsets, end exclusive).
import type { Family, Intent, Split } from './languages';

export interface HeaderRecord {
  type: 'header';
  name: 'emoji-cldr';
  version: string; // build version: a rebuild happens when it differs
  languages: string[];
  intents: string[];
  slotLabels: string[];
}

export interface ImageRecord {
  type: 'image';
  id: string; // img/<family>/<hexcode>
  group: string;
  split: Split;
  path: string; // relative to the manifest's directory: images/<family>/<hexcode>.png
  family: Family;
}

export interface TextRecord {
  type: 'text';
  id: string; // cap|chunk/<hexcode>/<lang>/<split>
  group: string;
  split: Split;
  lang: string;
  role: 'caption' | 'chunk';
  text: string;
}

export interface SlotSpan {
  label: 'object' | 'time';
  start: number; // UTF-16 offset into text
  end: number; // exclusive
}

export interface QueryRecord {
  type: 'query';
  id: string; // q/<group>/<lang>/<i>/<split>, q/none/<lang>/<k>/<split> for non-retrieval intents; held-out: h<i>, h<k>
  group: string | null; // null for set_reminder / play_music
  split: Split;
  lang: string;
  text: string;
  intent: Intent;
  slots: SlotSpan[];
  semanticText: string; // === text.slice(object.start, object.end)
  subset: QuerySubset;
}

/** seen: from the top-level templates and noise; held-out: only from `heldOut` ones, which no train / val query uses. */
export type QuerySubset = 'seen' | 'held-out';

export type EmojiCldrRecord = HeaderRecord | ImageRecord | TextRecord | QueryRecord;

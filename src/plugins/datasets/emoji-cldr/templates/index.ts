import type { EmojiCldrLanguage } from '../languages';
import { de } from './de';
import { en } from './en';
import { es } from './es';
import { fr } from './fr';
import { hi } from './hi';
import { it } from './it';
import { ja } from './ja';
import { ko } from './ko';
import { pl } from './pl';
import { ru } from './ru';
import { th } from './th';
import type { LanguageTemplates } from './types';
import { zh } from './zh';

export type { ChunkParts, LanguageTemplates } from './types';

/** Query and chunk templates, one file per language. */
export const TEMPLATES: Readonly<Record<EmojiCldrLanguage, LanguageTemplates>> = {
  en,
  de,
  fr,
  es,
  it,
  pl,
  ru,
  zh,
  ja,
  ko,
  hi,
  th,
};

// `--lang auto`: a query's language from its script, then a tiny stop-word vote among Latin-script languages.
import { UserError } from '../errors';
import { languageCodeProblem } from '../data/language-codes';

export interface DetectedLanguage {
  lang: string;
  /** What decided: 'script' (a non-Latin script), 'words' (stop-word vote), 'fallback' (nothing matched → en), 'flag' (--lang xx). */
  rule: 'script' | 'words' | 'fallback' | 'flag';
}

/** Non-Latin scripts that name one language (of unir's 12). Kana beats Han: Japanese mixes both. */
const SCRIPTS: readonly [RegExp, string][] = [
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/gu, 'ja'],
  [/\p{Script=Hangul}/gu, 'ko'],
  [/\p{Script=Han}/gu, 'zh'],
  [/\p{Script=Thai}/gu, 'th'],
  [/\p{Script=Devanagari}/gu, 'hi'],
  [/\p{Script=Cyrillic}/gu, 'ru'],
];

/** Frequent function words and request verbs per Latin-script language; one vote each (lower case). */
const STOP_WORDS: Record<string, readonly string[]> = {
  en: [
    'the',
    'a',
    'an',
    'of',
    'to',
    'me',
    'my',
    'i',
    'you',
    'for',
    'from',
    'and',
    'with',
    'about',
    'on',
    'is',
    'please',
    'find',
    'show',
    'search',
    'picture',
    'pictures',
    'photo',
    'image',
    'help',
    'last',
    'remind',
    'play',
    'song',
    'can',
    'need',
    'thanks',
    'what',
    'this',
    'that',
  ],
  de: [
    'der',
    'die',
    'das',
    'ein',
    'eine',
    'einen',
    'mir',
    'mich',
    'ich',
    'bitte',
    'von',
    'vom',
    'mit',
    'und',
    'über',
    'zu',
    'zeig',
    'zeige',
    'such',
    'suche',
    'finde',
    'bild',
    'bilder',
    'foto',
    'letzten',
    'letzte',
    'erinnere',
    'spiel',
    'lied',
    'danke',
    'ist',
    'wo',
    'habe',
    'den',
    'dem',
  ],
  fr: [
    'le',
    'la',
    'les',
    'un',
    'une',
    'des',
    'du',
    'de',
    'moi',
    'je',
    'mes',
    'et',
    'avec',
    'pour',
    'sur',
    'trouve',
    'montre',
    'cherche',
    'photo',
    'rappelle',
    'joue',
    'chanson',
    'merci',
    "s'il",
    'plaît',
    'est',
    'que',
    'qui',
    'dernier',
    'dernière',
  ],
  es: [
    'el',
    'la',
    'los',
    'las',
    'un',
    'una',
    'de',
    'del',
    'me',
    'mis',
    'y',
    'con',
    'para',
    'por',
    'favor',
    'busca',
    'muestra',
    'encuentra',
    'foto',
    'imagen',
    'recuérdame',
    'pon',
    'canción',
    'gracias',
    'que',
    'es',
    'quiero',
    'búscame',
    'muéstrame',
    'fotos',
    'hice',
  ],
  it: [
    'il',
    'lo',
    'la',
    'gli',
    'le',
    'un',
    'una',
    'di',
    'del',
    'della',
    'mi',
    'per',
    'favore',
    'e',
    'con',
    'trova',
    'cerca',
    'mostra',
    'foto',
    'immagine',
    'ricordami',
    'metti',
    'canzone',
    'grazie',
    'che',
    'è',
    'voglio',
    'trovami',
    'mostrami',
    'ho',
    'fatto',
  ],
  pl: [
    'i',
    'w',
    'z',
    'na',
    'do',
    'mi',
    'mnie',
    'proszę',
    'znajdź',
    'pokaż',
    'szukaj',
    'zdjęcie',
    'obrazek',
    'przypomnij',
    'puść',
    'włącz',
    'piosenkę',
    'dzięki',
    'dziękuję',
    'jest',
    'się',
    'o',
    'chcę',
    'wyszukaj',
    'które',
  ],
};

/** Letters that occur in one Latin-script language only (among these six): one vote each. */
const LETTERS: Record<string, RegExp> = {
  de: /[ßäöü]/gu,
  fr: /[çœêâîôûëï]/gu,
  es: /[ñ¿¡]/gu,
  pl: /[ąćęłńśźż]/gu,
};

/** The Latin-script candidates in the order ties are broken. */
export const LATIN_LANGUAGES = Object.keys(STOP_WORDS);

/**
 * The rule, in order:
 * 1. Script: the most frequent non-Latin script among the letters decides if it outnumbers Latin letters:
 *    Hiragana/Katakana → ja (any kana with Han counts Han as Japanese), Hangul → ko, Han → zh, Thai → th,
 *    Devanagari → hi, Cyrillic → ru.
 * 2. Otherwise a vote among en, de, fr, es, it, pl: one point per word in that language's stop-word list and
 *    per letter only it uses (ß ä ö ü: de; ç œ ê …: fr; ñ ¿ ¡: es; ą ć ę ł …: pl); ties go to the earlier language.
 * 3. No letters or no votes → en.
 */
export function detectLanguage(text: string): DetectedLanguage {
  const latin = (text.match(/\p{Script=Latin}/gu) ?? []).length;
  let best: [string, number] | undefined;
  const kana = (text.match(SCRIPTS[0]![0]) ?? []).length;
  for (const [re, lang] of SCRIPTS) {
    let n = (text.match(re) ?? []).length;
    if (lang === 'ja' && n > 0) n += (text.match(/\p{Script=Han}/gu) ?? []).length;
    if (lang === 'zh' && kana > 0) continue;
    if (n > 0 && (!best || n > best[1])) best = [lang, n];
  }
  if (best && best[1] >= latin) return { lang: best[0], rule: 'script' };
  const words = text.toLowerCase().match(/[\p{L}\p{M}']+/gu) ?? [];
  let vote: [string, number] = ['en', 0];
  for (const lang of LATIN_LANGUAGES) {
    const stop = new Set(STOP_WORDS[lang]);
    let n = words.filter((w) => stop.has(w)).length;
    if (LETTERS[lang]) n += (text.toLowerCase().match(LETTERS[lang]!) ?? []).length;
    if (n > vote[1]) vote = [lang, n];
  }
  return vote[1] > 0 ? { lang: vote[0], rule: 'words' } : { lang: 'en', rule: 'fallback' };
}

/** `--lang`: 'auto' detects; anything else must be a language code (one-line UserError naming the flag). */
export function resolveQueryLanguage(flag: string, query: string): DetectedLanguage {
  if (flag === 'auto') return detectLanguage(query);
  const problem = languageCodeProblem(flag);
  if (problem) throw new UserError(`search: --lang: ${problem}, or 'auto' to detect it from the query`);
  return { lang: flag, rule: 'flag' };
}

import type { LanguageTemplates } from './types';

export const de: LanguageTemplates = {
  lang: 'de',
  pre: ['', '', 'hey, ', 'äh, ', 'also, ', 'hallo, '],
  post: ['', '', ' bitte', ', danke', ', danke schön'],
  intents: {
    find_image: [
      'zeig mir das Bild von {object}, das ich {time} gespeichert habe',
      'such ein Foto mit {object}',
      'ich brauche das Emoji {object}',
      'finde Bilder von {object}',
      'wo ist das Foto „{object}“, das ich {time} bekommen habe',
    ],
    find_document: [
      'such das Dokument über {object}',
      'öffne die Notizen zu {object}, die ich {time} geschrieben habe',
      'finde den Artikel über {object}',
    ],
    set_reminder: [
      'erinnere mich {time} an {object}',
      'stell mir {time} eine Erinnerung: {object}',
      'vergiss nicht, mich {time} an {object} zu erinnern',
    ],
    play_music: ['spiel das Lied {object}', 'spiel {object}', 'ich möchte {object} hören', 'leg den Song „{object}“ auf'],
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} ist ein Emoji der Kategorie ${group} (${subgroup}).${tags.length ? ` Stichwörter: ${tags.join(', ')}.` : ''}`,
};

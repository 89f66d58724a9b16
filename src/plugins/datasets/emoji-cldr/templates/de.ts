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
    play_music: [
      'spiel das Lied {object}',
      'spiel {object}',
      'ich möchte {object} hören',
      'leg den Song „{object}“ auf',
    ],
  },
  heldOut: {
    pre: ['', 'sag mal, ', 'na, '],
    post: ['', ', vielen Dank', ', wenn möglich'],
    intents: {
      find_image: [
        'zeig mir Fotos von {object}',
        'such das Foto von {object}, das ich {time} gemacht habe',
        'ich suche ein Bild mit {object}',
      ],
      find_document: [
        'öffne das Dokument zu {object}',
        'wo ist die Datei über {object}, die ich {time} bearbeitet habe',
        'zeig mir den Bericht über {object}',
      ],
      set_reminder: [
        'sag mir {time} Bescheid wegen {object}',
        'ich muss {time} an {object} denken, erinnere mich daran',
      ],
      play_music: ['spiel mal {object}', 'kannst du {object} abspielen'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} ist ein Emoji der Kategorie ${group} (${subgroup}).${tags.length ? ` Stichwörter: ${tags.join(', ')}.` : ''}`,
};

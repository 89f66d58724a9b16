import type { LanguageTemplates } from './types';

export const it: LanguageTemplates = {
  lang: 'it',
  pre: ['', '', 'ehi, ', 'ehm, ', 'allora, ', 'senti, '],
  post: ['', '', ' per favore', ', grazie', ', grazie mille'],
  intents: {
    find_image: [
      'trovami un’immagine di {object}',
      'mostrami la foto di {object} che ho fatto {time}',
      'cerca foto di {object}',
      'mi serve l’emoji {object}',
    ],
    find_document: [
      'cerca il documento su {object}',
      'apri le note su {object} che ho scritto {time}',
      'trova l’articolo su {object}',
    ],
    set_reminder: [
      'ricordami {object} {time}',
      'imposta un promemoria per {object} {time}',
      '{time} ricordami di {object}',
    ],
    play_music: ['metti la canzone {object}', 'riproduci {object}', 'voglio ascoltare {object}'],
  },
  heldOut: {
    pre: ['', 'scusa, ', 'dai, '],
    post: ['', ', ti prego', ' se puoi'],
    intents: {
      find_image: [
        'fammi vedere le foto di {object}',
        'trova la foto di {object} che ho salvato {time}',
        'vorrei vedere un’immagine di {object}',
      ],
      find_document: [
        'aprimi il file su {object}',
        'cerca gli appunti su {object} che ho preso {time}',
        'mostrami la relazione su {object}',
      ],
      set_reminder: ['avvisami {time} per {object}', 'non farmi dimenticare {object} {time}'],
      play_music: ['fammi sentire {object}', 'fai partire {object}'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} è un’emoji della categoria ${group} (${subgroup}).${tags.length ? ` Parole chiave: ${tags.join(', ')}.` : ''}`,
};

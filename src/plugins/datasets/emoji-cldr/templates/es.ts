import type { LanguageTemplates } from './types';

export const es: LanguageTemplates = {
  lang: 'es',
  pre: ['', '', 'oye, ', 'eh, ', 'a ver, ', 'hola, '],
  post: ['', '', ' por favor', ', gracias', ', muchas gracias'],
  intents: {
    find_image: [
      'búscame una imagen de {object}',
      'muéstrame la foto de {object} que hice {time}',
      'encuentra fotos de {object}',
      'necesito el emoji {object}',
      'enséñame la imagen de {object} que me mandaron {time}',
    ],
    find_document: [
      'busca el documento sobre {object}',
      'abre las notas sobre {object} que escribí {time}',
      'encuentra el artículo de {object}',
    ],
    set_reminder: [
      'recuérdame {object} {time}',
      'pon un recordatorio para {object} {time}',
      '{time} recuérdame lo de {object}',
    ],
    play_music: ['pon la canción {object}', 'reproduce {object}', 'quiero escuchar {object}'],
  },
  heldOut: {
    pre: ['', 'perdona, ', 'bueno, '],
    post: ['', ', porfa', ' si puedes'],
    intents: {
      find_image: [
        'enséñame fotos de {object}',
        'busca la foto de {object} que guardé {time}',
        'quiero ver una imagen de {object}',
      ],
      find_document: [
        'ábreme el archivo sobre {object}',
        'busca los apuntes de {object} que tomé {time}',
        'muéstrame el informe sobre {object}',
      ],
      set_reminder: ['avísame {time} de {object}', 'no me dejes olvidar {object} {time}'],
      play_music: ['ponme {object}', 'quiero oír la canción {object}'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} es un emoji de la categoría ${group} (${subgroup}).${tags.length ? ` Palabras clave: ${tags.join(', ')}.` : ''}`,
};

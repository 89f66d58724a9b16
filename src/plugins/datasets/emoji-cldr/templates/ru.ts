import type { LanguageTemplates } from './types';

// Russian declines nouns: the CLDR label (nominative) is quoted «…» or follows a head noun ('эмодзи').
export const ru: LanguageTemplates = {
  lang: 'ru',
  pre: ['', '', 'эй, ', 'эм, ', 'слушай, ', 'так, '],
  post: ['', '', ' пожалуйста', ', спасибо', ', спасибо большое'],
  intents: {
    find_image: [
      'найди картинку «{object}»',
      'покажи фото «{object}», которое я сделал {time}',
      'поищи эмодзи {object}',
      'мне нужен эмодзи {object}',
    ],
    find_document: [
      'найди документ про «{object}»',
      'открой заметки «{object}», которые я написал {time}',
      'поищи статью под названием «{object}»',
    ],
    set_reminder: [
      'напомни мне {time}: {object}',
      'поставь напоминание «{object}» {time}',
      '{time} напомни про «{object}»',
    ],
    play_music: ['включи песню «{object}»', 'поставь трек {object}', 'хочу послушать «{object}»'],
  },
  heldOut: {
    pre: ['', 'извини, ', 'ну, '],
    post: ['', ', будь добр', ' если можно'],
    intents: {
      find_image: [
        'покажи эмодзи {object}',
        'найди фото «{object}», которое я сохранил {time}',
        'хочу посмотреть картинку «{object}»',
      ],
      find_document: [
        'открой файл «{object}»',
        'найди документ «{object}», который я правил {time}',
        'покажи отчёт «{object}»',
      ],
      set_reminder: ['дай знать {time}: {object}', 'не дай мне забыть «{object}» {time}'],
      play_music: ['сыграй «{object}»', 'запусти песню {object}'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} — эмодзи из категории «${group}» (${subgroup}).${tags.length ? ` Ключевые слова: ${tags.join(', ')}.` : ''}`,
};

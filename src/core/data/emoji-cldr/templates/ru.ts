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
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} — эмодзи из категории «${group}» (${subgroup}).${tags.length ? ` Ключевые слова: ${tags.join(', ')}.` : ''}`,
};

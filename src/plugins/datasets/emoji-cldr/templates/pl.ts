import type { LanguageTemplates } from './types';

// Polish declines nouns: the CLDR label (nominative) is quoted or follows a head noun ('emoji', 'utwór').
export const pl: LanguageTemplates = {
  lang: 'pl',
  pre: ['', '', 'hej, ', 'yyy, ', 'no to ', 'słuchaj, '],
  post: ['', '', ' proszę', ', dzięki', ', dziękuję'],
  intents: {
    find_image: [
      'znajdź obrazek „{object}”',
      'pokaż zdjęcie „{object}”, które zrobiłem {time}',
      'wyszukaj emoji {object}',
      'potrzebuję emoji {object}',
    ],
    find_document: [
      'znajdź dokument o nazwie „{object}”',
      'otwórz notatki „{object}”, które zapisałem {time}',
      'wyszukaj artykuł pod tytułem {object}',
    ],
    set_reminder: [
      'przypomnij mi {time}: {object}',
      'ustaw przypomnienie „{object}” {time}',
      '{time} przypomnij mi o tym: {object}',
    ],
    play_music: ['puść piosenkę „{object}”', 'włącz utwór {object}', 'chcę posłuchać utworu „{object}”'],
  },
  heldOut: {
    pre: ['', 'przepraszam, ', 'dobra, '],
    post: ['', ', z góry dzięki', ' jeśli możesz'],
    intents: {
      find_image: [
        'pokaż mi emoji {object}',
        'znajdź zdjęcie „{object}”, które zapisałem {time}',
        'chcę zobaczyć obrazek „{object}”',
      ],
      find_document: [
        'otwórz plik „{object}”',
        'pokaż dokument „{object}”, który edytowałem {time}',
        'pokaż raport „{object}”',
      ],
      set_reminder: ['daj mi znać {time} w sprawie: {object}', 'nie daj mi zapomnieć o „{object}” {time}'],
      play_music: ['zagraj „{object}”', 'odtwórz piosenkę {object}'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} to emoji z kategorii ${group} (${subgroup}).${tags.length ? ` Słowa kluczowe: ${tags.join(', ')}.` : ''}`,
};

import type { LanguageTemplates } from './types';

export const en: LanguageTemplates = {
  lang: 'en',
  pre: ['', '', 'hey, ', 'um, ', 'okay, ', 'hi there, ', 'so '],
  post: ['', '', ' please', ', thanks', ', thank you'],
  intents: {
    find_image: [
      'find me a picture of {object} from {time}',
      'show me the {object} photo I took {time}',
      'search my photos for {object}',
      'can you find an image of {object}',
      'I need the {object} emoji',
      'show me pictures of {object} I saved {time}',
    ],
    find_document: [
      'find the document about {object}',
      'open the notes on {object} I wrote {time}',
      'search my files for {object}',
      'look up the article about {object} I read {time}',
    ],
    set_reminder: [
      'remind me about {object} {time}',
      'set a reminder for {object} {time}',
      "don't let me forget {object} {time}",
      'create a reminder: {object}',
    ],
    play_music: ['play the song {object}', 'put on {object}', 'I want to hear {object}', 'play some music called {object}'],
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} is an emoji in the category ${group} (${subgroup}).${tags.length ? ` Keywords: ${tags.join(', ')}.` : ''}`,
};

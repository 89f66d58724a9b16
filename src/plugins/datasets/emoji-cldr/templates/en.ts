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
    play_music: [
      'play the song {object}',
      'put on {object}',
      'I want to hear {object}',
      'play some music called {object}',
    ],
  },
  heldOut: {
    pre: ['', 'well, ', 'excuse me, '],
    post: ['', ' if you can', ', cheers'],
    intents: {
      find_image: [
        'get me an image of {object}',
        'pull up the {object} picture I saved {time}',
        "I'm looking for a photo of {object}",
      ],
      find_document: [
        'pull up my document on {object}',
        'get me the notes about {object} from {time}',
        'bring up the report on {object}',
      ],
      set_reminder: ['{time}, remind me about {object}', 'ping me about {object} {time}'],
      play_music: ['can you play {object}', 'start playing {object}'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} is an emoji in the category ${group} (${subgroup}).${tags.length ? ` Keywords: ${tags.join(', ')}.` : ''}`,
};

import type { LanguageTemplates } from './types';

export const hi: LanguageTemplates = {
  lang: 'hi',
  pre: ['', '', 'अरे, ', 'सुनो, ', 'अच्छा, ', 'हाँ तो '],
  post: ['', '', ', प्लीज़', ', धन्यवाद', ', शुक्रिया'],
  intents: {
    find_image: [
      '{object} की तस्वीर ढूंढो',
      '{time} ली गई {object} की फोटो दिखाओ',
      '{object} वाला इमोजी खोजो',
      'मुझे {object} का चित्र दिखाओ',
    ],
    find_document: ['{object} के बारे में दस्तावेज़ ढूंढो', '{time} लिखे गए {object} वाले नोट्स खोलो', '{object} पर लेख खोजो'],
    set_reminder: [
      '{time} {object} के लिए रिमाइंडर लगाओ',
      'मुझे {time} {object} याद दिलाना',
      '{object} का रिमाइंडर सेट करो, {time}',
    ],
    play_music: ['{object} गाना चलाओ', '{object} बजाओ', 'मैं {object} सुनना चाहता हूँ'],
  },
  heldOut: {
    pre: ['', 'देखो, ', 'ज़रा '],
    post: ['', ', मेहरबानी होगी', ', बहुत शुक्रिया'],
    intents: {
      find_image: [
        '{object} वाली फोटो दिखा दो',
        '{time} सेव की गई {object} की तस्वीर खोलो',
        'मुझे {object} की फोटो देखनी है',
      ],
      find_document: ['{object} वाली फ़ाइल खोलो', '{time} बदली गई {object} की रिपोर्ट दिखाओ', '{object} पर रिपोर्ट दिखाओ'],
      set_reminder: ['{time} मुझे {object} के बारे में बताना', '{object} के लिए {time} अलार्म लगा दो'],
      play_music: ['{object} वाला गाना लगाओ', 'मुझे {object} सुनाओ'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} “${group}” श्रेणी (${subgroup}) का एक इमोजी है।${tags.length ? ` कीवर्ड: ${tags.join(', ')}।` : ''}`,
};

import type { LanguageTemplates } from './types';

// Particles attach to the preceding word in Korean: templates put a free-standing noun after the object
// ('관련', '사진', '노래') so that the object ends on a word boundary.
export const ko: LanguageTemplates = {
  lang: 'ko',
  pre: ['', '', '저기, ', '음, ', '혹시 ', '야, '],
  post: ['', '', ' 부탁해', ', 고마워', ' 좀 부탁해요'],
  intents: {
    find_image: [
      '{object} 사진 찾아줘',
      '{time} 찍은 {object} 사진 보여줘',
      '{object} 이모지 검색해 줘',
      '{object} 그림 좀 보여줘',
    ],
    find_document: [
      '{object} 관련 문서 찾아줘',
      '{time} 작성한 {object} 메모 열어줘',
      '{object} 관련 기사 검색해 줘',
    ],
    set_reminder: ['{time} {object} 알림 설정해 줘', '{time} {object} 잊지 않게 알려줘', '{object} 리마인더 맞춰 줘, {time}'],
    play_music: ['{object} 노래 틀어줘', '{object} 재생해 줘', '{object} 노래 듣고 싶어'],
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label}: '${group}' 카테고리(${subgroup})의 이모지입니다.${tags.length ? ` 키워드: ${tags.join(', ')}.` : ''}`,
};

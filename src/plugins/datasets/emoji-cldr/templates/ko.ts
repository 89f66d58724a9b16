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
    find_document: ['{object} 관련 문서 찾아줘', '{time} 작성한 {object} 메모 열어줘', '{object} 관련 기사 검색해 줘'],
    set_reminder: [
      '{time} {object} 알림 설정해 줘',
      '{time} {object} 잊지 않게 알려줘',
      '{object} 리마인더 맞춰 줘, {time}',
    ],
    play_music: ['{object} 노래 틀어줘', '{object} 재생해 줘', '{object} 노래 듣고 싶어'],
  },
  heldOut: {
    pre: ['', '있잖아, ', '잠깐만, '],
    post: ['', ', 감사합니다', ' 빨리'],
    intents: {
      find_image: [
        '{object} 이미지 보여줄래',
        '{time} 저장해 둔 {object} 이미지 띄워 줘',
        '{object} 사진 있으면 보여 줘',
      ],
      find_document: [
        '{object} 관련 파일 열어 줘',
        '{time} 수정한 {object} 문서 찾아 줘',
        '{object} 보고서 좀 띄워 줘',
      ],
      set_reminder: ['{time} {object} 챙기라고 알려 줘', '{object} 일정 {time} 다시 알려 줘'],
      play_music: ['{object} 노래 좀 틀어 줄래', '{object} 음악 켜 줘'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label}: '${group}' 카테고리(${subgroup})의 이모지입니다.${tags.length ? ` 키워드: ${tags.join(', ')}.` : ''}`,
};

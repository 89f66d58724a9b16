import type { LanguageTemplates } from './types';

// No spaces between words; the generator inserts one only where Intl.Segmenter would not break at a slot edge.
export const ja: LanguageTemplates = {
  lang: 'ja',
  pre: ['', '', 'すみません、', 'えっと、', 'ねえ、'],
  post: ['', '', 'ください', '。ありがとう', '、お願い'],
  intents: {
    find_image: [
      '{object}の画像を探して',
      '{time}撮った{object}の写真を見せて',
      '{object}の絵文字を検索して',
      '{object}のイラストを表示して',
    ],
    find_document: [
      '{object}に関する資料を探して',
      '{time}書いた{object}のメモを開いて',
      '{object}についての記事を検索して',
    ],
    set_reminder: ['{time}{object}をリマインドして', '{time}、{object}って通知して', '{object}のこと、{time}教えて'],
    play_music: ['「{object}」って曲を流して', '「{object}」を再生して', '{object}を聴かせて'],
  },
  heldOut: {
    pre: ['', 'あの、', 'ちょっと、'],
    post: ['', '、お願いします', '。よろしく'],
    intents: {
      find_image: ['{object}の写真を出して', '{time}保存した{object}の画像を見つけて', '{object}の画像が見たい'],
      find_document: [
        '{object}のファイルを開いて',
        '{time}編集した{object}の資料を出して',
        '{object}のレポートを見せて',
      ],
      set_reminder: ['{time}{object}のことを思い出させて', '{object}について{time}お知らせして'],
      play_music: ['{object}をかけて', '「{object}」を流してほしい'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label}は「${group}」カテゴリ（${subgroup}）の絵文字です。${tags.length ? `キーワード：${tags.join('、')}。` : ''}`,
};

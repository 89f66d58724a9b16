import type { LanguageTemplates } from './types';

// No spaces between words; the generator inserts one only where Intl.Segmenter would not break at a slot edge.
export const zh: LanguageTemplates = {
  lang: 'zh',
  pre: ['', '', '嗯，', '那个，', '你好，', '小助手，'],
  post: ['', '', '，谢谢', '，麻烦了', '，谢谢啦'],
  intents: {
    find_image: [
      '帮我找一张{object}的图片',
      '给我看看{time}拍的{object}照片',
      '搜索{object}的表情',
      '我要{object}这个表情',
    ],
    find_document: [
      '找一下关于{object}的文档',
      '打开我{time}写的{object}笔记',
      '搜一下介绍{object}的文章',
    ],
    set_reminder: ['{time}提醒我{object}', '帮我设个提醒：{time}，{object}', '别忘了{time}提醒我{object}'],
    play_music: ['播放歌曲《{object}》', '放一首{object}', '我想听《{object}》'],
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label}是“${group}”类别（${subgroup}）中的表情符号。${tags.length ? `关键词：${tags.join('、')}。` : ''}`,
};

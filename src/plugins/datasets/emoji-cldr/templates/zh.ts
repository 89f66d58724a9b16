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
    find_document: ['找一下关于{object}的文档', '打开我{time}写的{object}笔记', '搜一下介绍{object}的文章'],
    set_reminder: ['{time}提醒我{object}', '帮我设个提醒：{time}，{object}', '别忘了{time}提醒我{object}'],
    play_music: ['播放歌曲《{object}》', '放一首{object}', '我想听《{object}》'],
  },
  heldOut: {
    pre: ['', '请问，', '麻烦你，'],
    post: ['', '，多谢', '，辛苦了'],
    intents: {
      find_image: ['给我找找{object}的照片', '把我{time}存的{object}图片调出来', '我想看{object}的图片'],
      find_document: ['帮我打开{object}相关的文件', '找到我{time}改过的{object}文档', '查一下{object}的报告'],
      set_reminder: ['{time}记得叫我{object}', '帮我定个{time}的提醒：{object}'],
      play_music: ['来一首《{object}》', '帮我放{object}这首歌'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label}是“${group}”类别（${subgroup}）中的表情符号。${tags.length ? `关键词：${tags.join('、')}。` : ''}`,
};

import type { LanguageTemplates } from './types';

// Thai writes phrases without spaces; the generator inserts one only where Intl.Segmenter would not break at
// a slot edge (a space between phrases is also normal Thai).
export const th: LanguageTemplates = {
  lang: 'th',
  pre: ['', '', 'เอ่อ ', 'นี่ ', 'ขอโทษนะ '],
  post: ['', '', 'ครับ', 'ค่ะ', 'นะ', ' ขอบคุณ'],
  intents: {
    find_image: ['หารูป{object}ให้หน่อย', 'ขอดูรูป{object}ที่ถ่ายไว้{time}', 'ค้นหาอีโมจิ{object}', 'อยากได้รูป{object}'],
    find_document: ['หาเอกสารเกี่ยวกับ{object}', 'เปิดโน้ตเรื่อง{object}ที่เขียนไว้{time}', 'ค้นหาบทความเรื่อง{object}'],
    set_reminder: ['เตือนฉัน{time}เรื่อง{object}', 'ตั้งเตือน{object} {time}', '{time}ช่วยเตือนเรื่อง{object}ด้วย'],
    play_music: ['เปิดเพลง{object}', 'เล่นเพลง{object}ให้ฟังหน่อย', 'อยากฟังเพลง{object}'],
  },
  heldOut: {
    pre: ['', 'คือ ', 'รบกวนหน่อย '],
    post: ['', 'จ้า', ' ขอบคุณมาก'],
    intents: {
      find_image: ['ขอรูป{object}หน่อย', 'เปิดรูป{object}ที่บันทึกไว้{time}', 'อยากเห็นรูป{object}'],
      find_document: ['เปิดไฟล์เรื่อง{object}', 'หาเอกสาร{object}ที่แก้ไว้{time}', 'ขอดูรายงานเรื่อง{object}'],
      set_reminder: ['{time}อย่าลืมบอกเรื่อง{object}', 'ช่วยตั้งแจ้งเตือน{object}ไว้{time}'],
      play_music: ['ขอฟังเพลง{object}', 'เปิด{object}ให้ฟังที'],
    },
  },
  chunk: ({ label, tags, group, subgroup }) =>
    `${label} เป็นอีโมจิในหมวด ${group} (${subgroup})${tags.length ? ` คำสำคัญ: ${tags.join(' ')}` : ''}`,
};

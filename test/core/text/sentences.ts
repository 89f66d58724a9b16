// One query-like sentence per language (the 12 languages unir targets), for tokenizer tests.
export const SENTENCES: Record<string, string> = {
  en: 'Show me photos of my dog from last month!',
  de: 'Zeig mir Fotos von meinem Hund aus dem letzten Monat.',
  fr: "Montre-moi les photos de mon chien de l'été dernier.",
  es: 'Muéstrame fotos de mi perro del mes pasado.',
  it: "Mostrami le foto del mio cane dell'anno scorso.",
  pl: 'Pokaż mi zdjęcia mojego psa z zeszłego miesiąca.',
  ru: 'Покажи мне фотографии моей собаки за прошлый месяц.',
  zh: '给我看上个月我的狗的照片。',
  ja: '先月の犬の写真を見せて。',
  ko: '지난달 우리 강아지 사진 보여줘.',
  hi: 'मुझे पिछले महीने के मेरे कुत्ते की तस्वीरें दिखाओ।',
  th: 'แสดงรูปสุนัขของฉันเมื่อเดือนที่แล้ว',
};

export const LANGS = Object.keys(SENTENCES);

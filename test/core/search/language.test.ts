import { describe, expect, it } from 'vitest';
import { detectLanguage, resolveQueryLanguage } from '../../../src/core/search/language';

describe('detectLanguage', () => {
  it.each([
    ['please help me find a picture of a dog face from last month', 'en', 'words'],
    ['zeig mir das Bild von Hundegesicht, das ich letzte Woche gespeichert habe', 'de', 'words'],
    ['trouve-moi une image de tête de chien', 'fr', 'words'],
    ['búscame una imagen de cara de perro', 'es', 'words'],
    ['trovami un’immagine di muso di cane', 'it', 'words'],
    ['pokaż zdjęcie „pies”, które zrobiłem wczoraj', 'pl', 'words'],
    ['найди картинку «морда собаки»', 'ru', 'script'],
    ['帮我找一张狗脸的图片', 'zh', 'script'],
    ['先月の犬の顔の写真を探して', 'ja', 'script'],
    ['개 얼굴 사진 찾아줘', 'ko', 'script'],
    ['कुत्ते का चेहरा की तस्वीर ढूंढो', 'hi', 'script'],
    ['หารูปหน้าสุนัขให้หน่อย', 'th', 'script'],
  ])('%s → %s (%s)', (text, lang, rule) => {
    expect(detectLanguage(text)).toEqual({ lang, rule });
  });

  it('counts Han as Japanese when kana are present, and lets Latin letters outvote a few foreign ones', () => {
    expect(detectLanguage('犬の写真').lang).toBe('ja'); // 3 Han + 1 kana
    expect(detectLanguage('犬写真').lang).toBe('zh');
    expect(detectLanguage('show me the 犬 photo')).toEqual({ lang: 'en', rule: 'words' });
  });

  it('falls back to en when no rule fires', () => {
    expect(detectLanguage('xyzzy plugh')).toEqual({ lang: 'en', rule: 'fallback' });
    expect(detectLanguage('1234 ?!')).toEqual({ lang: 'en', rule: 'fallback' });
  });

  it('breaks a tie between Latin languages by the fixed order en, de, fr, es, it, pl', () => {
    expect(detectLanguage('la')).toEqual({ lang: 'fr', rule: 'words' }); // fr, es and it all list 'la'
  });
});

describe('resolveQueryLanguage', () => {
  it("detects on 'auto' and passes a valid code through", () => {
    expect(resolveQueryLanguage('auto', 'finde Bilder von Hunden')).toEqual({ lang: 'de', rule: 'words' });
    expect(resolveQueryLanguage('ja', 'dog')).toEqual({ lang: 'ja', rule: 'flag' });
  });

  it('rejects an unknown code with one line naming the flag', () => {
    expect(() => resolveQueryLanguage('xx', 'dog')).toThrow(
      "search: --lang: unknown language 'xx'; use a BCP-47 primary code known to Intl.DisplayNames, e.g. en, de, zh, ja, th, or 'auto' to detect it from the query",
    );
    expect(() => resolveQueryLanguage('en-US', 'dog')).toThrow(
      "search: --lang: 'en-US' is not a primary language code; use 'en', or 'auto' to detect it from the query",
    );
  });
});

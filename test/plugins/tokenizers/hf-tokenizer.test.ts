import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TokenizerLoader } from '@lenml/tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors';
import { Registry } from '../../../src/core/registry';
import type { EncodedBatch, Tokenizer } from '../../../src/core/text/tokenizer';
import { BUILTIN_TOKENIZERS } from '../../../src/plugins/tokenizers';
import { LANGS, SENTENCES } from '../../core/text/sentences';

const WORDPIECE = 'test/fixtures/tokenizers/wordpiece-tiny.json';
const BPE = 'test/fixtures/tokenizers/bpe-metaspace-tiny.json';
const BYTES = 'test/fixtures/tokenizers/bpe-bytelevel-tiny.json'; // GPT-2 style: 256 byte tokens + 13 merges
const registry = new Registry();
for (const p of BUILTIN_TOKENIZERS) registry.register(p);
const make = (config: object) => registry.create('tokenizer', 'hf-tokenizer', config);
/** The library itself, as the oracle for ids. */
const direct = (path: string) =>
  TokenizerLoader.fromPreTrained({ tokenizerJSON: JSON.parse(readFileSync(path, 'utf8')), tokenizerConfig: {} });
const row = (b: EncodedBatch, i: number) => {
  const T = b.length;
  const n = b.mask.subarray(i * T, (i + 1) * T).reduce((s, m) => s + m, 0);
  return {
    ids: [...b.ids.subarray(i * T, i * T + n)],
    words: [...b.wordIndex.subarray(i * T, i * T + n)].map((w) => (w < 0 ? null : b.words[i]![w]!.text)),
    first: [...b.firstPiece.subarray(i * T, i * T + n)],
  };
};
const tmp = mkdtempSync(join(tmpdir(), 'unir-hf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hf-tokenizer', () => {
  it('parses {} (path is checked at create time) and needs a path to create', () => {
    expect(registry.parseConfig('tokenizer', 'hf-tokenizer', {})).toEqual({ maxLength: 32, alignment: 'auto' });
    expect(() => make({})).toThrow(
      new UserError('tokenizer hf-tokenizer: path is required; set tokenizer.path to a local tokenizer.json'),
    );
  });

  it('a missing, non-JSON or non-tokenizer file is a one-line UserError naming the path', () => {
    const missing = join(tmp, 'nope/tokenizer.json');
    expect(() => make({ path: missing })).toThrow(
      new UserError(
        `${missing}: cannot read tokenizer.json (no such file); set tokenizer.path to a Hugging Face tokenizer.json`,
      ),
    );
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"model": ');
    expect(() => make({ path: bad })).toThrow(UserError);
    expect(() => make({ path: bad })).toThrow(`${bad}: tokenizer.json is not valid JSON (`);
    writeFileSync(bad, '{"version": "1.0"}');
    expect(() => make({ path: bad })).toThrow(
      `${bad}: tokenizer.json has no "model" object; set tokenizer.path to a Hugging Face tokenizer.json`,
    );
    writeFileSync(bad, '{"model": {"type": "NoSuchModel"}}');
    expect(() => make({ path: bad })).toThrow(`${bad}: @lenml/tokenizers cannot load this tokenizer.json (`);
  });

  it('WordPiece: CLS from the post-processor, pad [PAD], ids equal to the library’s, words and first pieces', () => {
    const tok = make({ path: WORDPIECE });
    expect([tok.vocabSize, tok.pieces, tok.maxLength, tok.clsId, tok.padId]).toEqual([34, 1, 32, 2, 0]);
    const texts = ['Show me my dog photos, from last month!', 'Café unhappy pictures 狗的图片', 'Hund xyz'];
    const b = tok.encode(texts, ['en', 'zh', 'de']);
    const lib = direct(WORDPIECE);
    texts.forEach((t, i) => expect(row(b, i).ids).toEqual([2, ...lib.encode(t, { add_special_tokens: false })]));
    expect(row(b, 0).words).toEqual([
      null,
      'Show',
      'me',
      'my',
      'dog',
      'photos',
      'photos',
      null,
      'from',
      'last',
      'month',
      null,
    ]);
    expect(row(b, 0).first).toEqual([0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0]);
    expect(row(b, 1).words).toEqual([
      null,
      'Café',
      'unhappy',
      'unhappy',
      'pictures',
      'pictures',
      'pictures',
      '狗',
      '的',
      '图片',
      '图片',
    ]);
    expect(row(b, 1).first).toEqual([0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0]);
    expect(row(b, 2).words).toEqual([null, 'Hund', 'xyz']); // [UNK] takes the word it replaced
    expect([b.batch, b.length, b.pieces]).toEqual([3, 12, 1]);
    expect([...b.mask.subarray(2 * 12, 3 * 12)]).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...b.ids.subarray(2 * 12 + 3, 3 * 12)]).toEqual(Array(9).fill(0));
  });

  it('Metaspace BPE: CLS <s>, pad <pad>, ids equal to the library’s; ▁ tokens and <unk> punctuation belong to no word', () => {
    const tok = make({ path: BPE });
    expect([tok.clsId, tok.padId, tok.vocabSize]).toEqual([1, 3, 41]);
    const texts = ['Dog photos, my cat!', 'my dogé 狗x  cats'];
    const b = tok.encode(texts, ['en', 'en']);
    const lib = direct(BPE);
    texts.forEach((t, i) => expect(row(b, i).ids).toEqual([1, ...lib.encode(t, { add_special_tokens: false })]));
    expect(row(b, 0).words).toEqual([null, 'Dog', 'photos', 'photos', null, 'my', 'cat', null]);
    expect(row(b, 0).first).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
    expect(row(b, 1).words).toEqual([null, 'my', 'dogé', 'dogé', null, '狗', 'x', null, 'cats', 'cats']);
  });

  it('byte-level BPE: needs a clsToken; tokens ending inside a character join the next one', () => {
    expect(() => make({ path: BYTES })).toThrow(
      `tokenizer hf-tokenizer: ${resolve(BYTES)} has no CLS/BOS token; set tokenizer.clsToken to a token of its vocabulary`,
    );
    const tok = make({ path: BYTES, clsToken: '<|endoftext|>' });
    expect([tok.clsId, tok.padId, tok.vocabSize]).toEqual([0, 270, 271]); // pad ≠ CLS: a new row past the 270 tokens
    expect(make({ path: BYTES, clsToken: 'a' })).toMatchObject({ clsId: 98, padId: 0, vocabSize: 270 }); // <|endoftext|> pads
    const texts = ['Dog photos, my cat!', 'my dogé 狗x  cats'];
    const b = tok.encode(texts, ['en', 'en']);
    const lib = direct(BYTES);
    texts.forEach((t, i) => expect(row(b, i).ids).toEqual([0, ...lib.encode(t, { add_special_tokens: false })]));
    expect([...b.ids.subarray(b.length - 2, b.length)]).toEqual([270, 270]); // row 0 padded
    // D og Ġphoto s , Ġ m y Ġcat !
    expect(row(b, 0).words).toEqual([null, 'Dog', 'Dog', 'photos', 'photos', null, null, 'my', 'my', 'cat', null]);
    // m y Ġdog Ã © Ġ çĭ Ĺ x Ġ Ġcat s: 'é' and '狗' are two byte tokens each
    expect(row(b, 1).words).toEqual([
      null,
      'my',
      'my',
      'dogé',
      'dogé',
      'dogé',
      null,
      '狗',
      '狗',
      'x',
      null,
      'cats',
      'cats',
    ]);
    expect(row(b, 1).first).toEqual([0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0]);
  });

  it('truncates to maxLength - 1 tokens and keeps the words that still have a token', () => {
    const tok = make({ path: WORDPIECE, maxLength: 6 });
    const b = tok.encode(
      ['show me my dog photos', 'dog', 'Show me my dog photos, from last month!'],
      ['en', 'en', 'en'],
    );
    expect(b.length).toBe(6);
    expect(row(b, 0).words).toEqual([null, 'show', 'me', 'my', 'dog', 'photos']);
    expect(b.words[0]!.map((w) => w.text)).toEqual(['show', 'me', 'my', 'dog', 'photos']);
    expect(b.words[1]!.map((w) => w.text)).toEqual(['dog']);
    const cut = make({ path: WORDPIECE, maxLength: 3 }).encode(['dog photos from'], ['en']);
    expect(row(cut, 0).words).toEqual([null, 'dog', 'photos']); // 'photo' kept, '##s' cut
    expect(cut.words[0]!.map((w) => w.text)).toEqual(['dog', 'photos']);
  });

  it('12 languages: word offsets round-trip, ids in range, token words monotone, every kept token has mask 1', () => {
    for (const path of [WORDPIECE, BPE, BYTES]) {
      const tok = make({ path, maxLength: 64, clsToken: path === BYTES ? '<|endoftext|>' : undefined });
      const texts = LANGS.map((l) => SENTENCES[l]!);
      const b = tok.encode(texts, LANGS);
      for (const [i, lang] of LANGS.entries()) {
        const r = row(b, i);
        const all = tok.words(texts[i]!, lang);
        expect(b.words[i]).toEqual(r.ids.length < 64 ? all : all.slice(0, b.words[i]!.length)); // Cyrillic bytes fill 63 tokens
        for (const w of b.words[i]!) expect(texts[i]!.slice(w.start, w.end)).toBe(w.text);
        expect(r.ids[0]).toBe(tok.clsId);
        for (const id of r.ids) expect(id >= 0 && id < tok.vocabSize).toBe(true);
        const wi = [...b.wordIndex.subarray(i * b.length, i * b.length + r.ids.length)].filter((w) => w >= 0);
        expect(wi).toEqual([...wi].sort((x, y) => x - y));
        if (r.ids.length > 2) expect(new Set(wi).size, `${path} ${lang}`).toBeGreaterThan(1); // WordPiece: Thai is one [UNK]
      }
    }
  });

  it("per-token decoder surfaces ('auto') align exactly like decoding every prefix", () => {
    const texts = [
      ...LANGS.map((l) => SENTENCES[l]!),
      'Show me my dog photos, from last month!',
      'my dogé 狗x  cats',
      'Hund xyz',
    ];
    const langs = [...LANGS, 'en', 'en', 'de'];
    for (const path of [WORDPIECE, BPE, BYTES]) {
      const clsToken = path === BYTES ? '<|endoftext|>' : undefined;
      const auto = make({ path, maxLength: 64, clsToken }).encode(texts, langs);
      expect(make({ path, maxLength: 64, clsToken, alignment: 'prefixes' }).encode(texts, langs)).toEqual(auto);
    }
  });

  it('clsToken / padToken override, and a sibling tokenizer_config.json is read', () => {
    expect(make({ path: WORDPIECE, clsToken: '[MASK]', padToken: '[UNK]' })).toMatchObject({ clsId: 4, padId: 1 });
    expect(() => make({ path: WORDPIECE, clsToken: '<cls>' })).toThrow(
      `tokenizer hf-tokenizer: clsToken '<cls>' is not in ${resolve(WORDPIECE)}; use a token of its vocabulary`,
    );
    const dir = mkdtempSync(join(tmp, 'cfg-'));
    copyFileSync(WORDPIECE, join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ cls_token: '[SEP]', pad_token: '[MASK]' }));
    expect(make({ path: join(dir, 'tokenizer.json') })).toMatchObject({ clsId: 3, padId: 4 });
  });
});

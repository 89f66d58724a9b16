/**
 * The Universal Sentence Encoder's SentencePiece tokenizer (unigram model: Viterbi over the vocabulary's
 * log-probabilities), ported from @tensorflow-models/universal-sentence-encoder (src/tokenizer/index.ts and
 * trie.ts, Copyright 2019 Google LLC, Apache License 2.0, http://www.apache.org/licenses/LICENSE-2.0), whose
 * package needs tfjs 3. That code is itself a port of SentencePiece's `EncodeAsIds`
 * (https://github.com/google/sentencepiece, arXiv 1804.10959). Changes from the original: TypeScript for this
 * project, a Map-based trie, and the backward pass steps back by a piece's length in code points (the original
 * steps by its UTF-16 length, which differs only for pieces outside the BMP).
 *
 * Vocabulary: `vocab.json` = [[piece, log-prob], ...]; ids = positions. Ids 0..5 are reserved (0 = unknown
 * '�', 1 = <s>, 2 = </s>, 3..5 extra) and never produced except 0 for an unknown symbol; runs of unknown symbols
 * merge into one 0.
 */

/** U+2581 LOWER ONE EIGHTH BLOCK: SentencePiece's word-boundary marker. */
export const SEPARATOR = '\u2581';
const RESERVED = 6;

/** [piece, log-probability]; a null score (user-defined symbols such as ':' and '://') counts as 0, as in the original. */
export type UseVocabulary = readonly (readonly [string, number | null])[];

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Set where a vocabulary piece ends: [its length in code points, score, id]. */
  piece?: [number, number, number];
}

/** NFKC, then '▁' before the text and in place of every space (empty input stays empty). */
export function preprocess(text: string): string {
  const n = text.normalize('NFKC');
  return n.length > 0 ? SEPARATOR + n.replace(/ /g, SEPARATOR) : n;
}

export class UseTokenizer {
  private readonly root: TrieNode = { children: new Map() };
  /** Length in code points of each piece. */
  private readonly lengths: Int32Array;

  constructor(readonly vocabulary: UseVocabulary) {
    this.lengths = Int32Array.from(vocabulary, ([p]) => [...p].length);
    for (let i = RESERVED; i < vocabulary.length; i++) this.insert(vocabulary[i]![0], vocabulary[i]![1] ?? 0, i);
  }

  private insert(piece: string, score: number, id: number): void {
    let node = this.root;
    const symbols = [...piece];
    for (const s of symbols) {
      let next = node.children.get(s);
      if (!next) node.children.set(s, (next = { children: new Map() }));
      node = next;
    }
    node.piece = [symbols.length, score, id];
  }

  /** Every vocabulary piece that is a prefix of symbols[start..]; an unknown symbol alone when there is none. */
  private prefixes(symbols: readonly string[], start: number): [number, number, number][] {
    const out: [number, number, number][] = [];
    let node = this.root.children.get(symbols[start]!);
    for (let i = start; node && i < symbols.length; i++) {
      if (node.piece) out.push(node.piece);
      node = i + 1 < symbols.length ? node.children.get(symbols[i + 1]!) : undefined;
    }
    if (!out.length) out.push([1, 0, 0]); // unknown: one symbol, score 0, id 0
    return out;
  }

  /** Piece ids of one text (no <s>/</s>). */
  encode(text: string): number[] {
    const symbols = [...preprocess(text)];
    const n = symbols.length;
    // lattice: ends[e] = pieces ending at e, as [start, score, id], added in order of their start
    const ends: [number, number, number][][] = Array.from({ length: n + 1 }, () => []);
    for (let i = 0; i < n; i++)
      for (const [len, score, id] of this.prefixes(symbols, i)) ends[i + len]!.push([i, score, id]);
    // Viterbi, as the original: best[0] = 0 and a 0 score means "unset"; ties go to the later candidate.
    // Candidates at each end are visited grouped by start position in ascending order (the original iterates
    // an object keyed by start index), pieces of one start in insertion (prefix-length) order.
    const best = new Float64Array(n + 1);
    const word = new Int32Array(n + 1);
    for (let e = 0; e <= n; e++) {
      const cands = ends[e]!.slice().sort((a, b) => a[0] - b[0]); // stable: keeps the prefix order within a start
      for (const [s, score, id] of cands) {
        const total = score + best[s]!;
        if (best[e] === 0 || total >= best[e]!) {
          best[e] = total;
          word[e] = id;
        }
      }
    }
    const backward: number[] = [];
    for (let e = n; e > 0; e -= id0Length(this.lengths, word[e]!)) backward.push(word[e]!);
    const merged: number[] = [];
    let prevUnk = false;
    for (const id of backward) {
      if (!(prevUnk && id === 0)) merged.push(id);
      prevUnk = id === 0;
    }
    return merged.reverse();
  }
}

/** A piece's length in code points; the unknown id 0 stands for one symbol. */
function id0Length(lengths: Int32Array, id: number): number {
  return id === 0 ? 1 : lengths[id]!;
}

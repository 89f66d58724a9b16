import type { PairType } from '../config/stage';
import type { QueryTable, TrainData } from './batch';
import { Rng } from '../rng';
import type { PairPool } from './sampler';
import type { TokenTable } from './tokens';

export interface SyntheticShape {
  vocabSize: number;
  pieces: number; // G
  maxLength: number; // T incl. CLS
  padId: number;
  clsId: number;
  imageSize: number;
  numIntents: number;
  numSlotTags: number;
  /** Real tokens per text (incl. CLS); default maxLength. */
  tokens?: number;
}

/**
 * Random training data with real shapes: texts of `tokens` tokens, random images, random labels, and
 * pools of `n` examples with distinct groups. For timing steps (dry-run estimates, benchmarks), not learning.
 */
export function syntheticTrainData(s: SyntheticShape, n: number, pairs: ReadonlySet<PairType>, seed = 0): TrainData {
  const r = new Rng(seed);
  const T = s.maxLength;
  const used = Math.min(T, s.tokens ?? T);
  const table = (rows: number): TokenTable => {
    const t: TokenTable = {
      n: rows,
      length: T,
      pieces: s.pieces,
      padId: s.padId,
      ids: new Int32Array(rows * T * s.pieces).fill(s.padId),
      mask: new Float32Array(rows * T),
      wordIndex: new Int32Array(rows * T).fill(-1),
      firstPiece: new Uint8Array(rows * T),
      tokens: new Int32Array(rows).fill(used),
      texts: Array.from({ length: rows }, (_, i) => `synthetic text ${i}`), // what pretrained towers read
    };
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < used; j++) {
        for (let g = 0; g < s.pieces; g++)
          t.ids[(i * T + j) * s.pieces + g] = j === 0 ? s.clsId : 2 + r.int(s.vocabSize - 2);
        t.mask[i * T + j] = 1;
        if (j > 0) {
          t.wordIndex[i * T + j] = j - 1;
          t.firstPiece[i * T + j] = 1;
        }
      }
    }
    return t;
  };
  const q = table(n) as QueryTable;
  q.intent = Int32Array.from({ length: n }, () => r.int(s.numIntents));
  q.slotLabels = Int32Array.from({ length: n * T }, () => r.int(s.numSlotTags));
  q.slotMask = Float32Array.from(q.firstPiece);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const pool: PairPool = { size: n, left: rows, right: rows, group: rows };
  const per = s.imageSize * s.imageSize * 3;
  return {
    images: { n, size: s.imageSize, data: Float32Array.from({ length: n * per }, () => r.next()) },
    texts: table(n),
    queries: q,
    pools: Object.fromEntries([...pairs].map((p) => [p, pool])),
  };
}

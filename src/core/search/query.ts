// One query through the NLU module and the query encoder: intent, labelled slot spans, semantic text, embedding.
import * as tf from '@tensorflow/tfjs-core';
import { bioTagSet, OUTSIDE } from '../data/bio';
import { firstPieceSpans } from '../eval/model-encoder';
import { decodeNlu } from '../eval/nlu';
import type { UnifiedModel } from '../model/unified';
import type { Word } from '../text/tokenizer';

/** A predicted slot: a run of words tagged B-label I-label …, as text with UTF-16 offsets into the query. */
export interface SlotSpan {
  label: string;
  text: string;
  start: number;
  end: number; // exclusive
}

/** The slot whose text is the query's subject: its text is the semantic text. */
export const SEMANTIC_SLOT = 'object';

/**
 * BIO tags (one per word) → spans. B-x opens a span; I-x continues an open x span; an I-x with no open x
 * span opens one (lenient, as conlleval); O closes. Span text = query.slice(first word start, last word end).
 */
export function bioSpans(query: string, words: readonly Word[], tags: readonly string[]): SlotSpan[] {
  const out: SlotSpan[] = [];
  let open: SlotSpan | undefined;
  tags.forEach((tag, i) => {
    const w = words[i]!;
    if (tag === OUTSIDE) {
      open = undefined;
      return;
    }
    const [bio, label] = [tag.slice(0, 1), tag.slice(2)];
    if (bio === 'I' && open?.label === label) {
      open.end = w.end;
      open.text = query.slice(open.start, open.end);
      return;
    }
    open = { label, text: w.text, start: w.start, end: w.end };
    out.push(open);
  });
  return out;
}

export interface QueryAnalysis {
  intent: string;
  /** softmax probability of the predicted intent. */
  intentConfidence: number;
  slots: SlotSpan[];
  /** The first `object` slot's text, or the whole query if there is none. */
  semanticText: string;
  semanticSource: 'slot' | 'query';
  /** (D) unit vector: the query encoded with its NLU features fused in. */
  embedding: Float32Array;
}

/** Runs NLU + the fused query encoder on one query (training = false); no tensors outlive the call. */
export function analyzeQuery(
  model: UnifiedModel,
  query: string,
  lang: string,
  labels: { intents: readonly string[]; slotLabels: readonly string[] },
): QueryAnalysis {
  const enc = model.tokenizer.encode([query], [lang]);
  const [emb, intentT, slotT] = tf.tidy(() => {
    const q = model.encodeQuery(enc, false, true);
    return [q.embedding, q.nlu.intentLogits, q.nlu.slotLogits]; // (1, D), (1, I), (1, T, S)
  });
  let embedding: Float32Array, intentLogits: Float32Array, slotLogits: Float32Array;
  try {
    embedding = Float32Array.from(emb!.dataSync() as Float32Array);
    intentLogits = Float32Array.from(intentT!.dataSync() as Float32Array);
    slotLogits = Float32Array.from(slotT!.dataSync() as Float32Array);
  } finally {
    for (const t of [emb, intentT, slotT]) t!.dispose();
  }
  const spans = firstPieceSpans(enc)[0]!;
  const positions = spans.flatMap((s, t) => (s ? [t] : []));
  const { intents, tags } = decodeNlu(
    intentLogits,
    slotLogits,
    [positions],
    labels.intents,
    bioTagSet(labels.slotLabels),
  );
  const words = positions.map((t) => enc.words[0]![enc.wordIndex[t]!]!);
  const slots = bioSpans(query, words, tags[0]!);
  const max = Math.max(...intentLogits);
  const exp = Array.from(intentLogits, (x) => Math.exp(x - max));
  const intent = intents[0]!;
  // the semantic text is the query without its noise: every span tagged as the object, in order
  const objects = slots.filter((s) => s.label === SEMANTIC_SLOT);
  return {
    intent,
    intentConfidence: exp[labels.intents.indexOf(intent)]! / exp.reduce((a, b) => a + b, 0),
    slots,
    semanticText: objects.length ? objects.map((s) => s.text).join(' ') : query,
    semanticSource: objects.length ? 'slot' : 'query',
    embedding,
  };
}

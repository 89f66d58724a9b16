import { createUnifiedModel } from '../model/unified';
import type { Registry } from '../registry';
import type { Tokenizer } from '../text/tokenizer';
import type { TrainModel } from '../model/train-model';

/** The model a run trains and the tokenizer its text tables are built with. */
export interface ModelBundle {
  model: TrainModel;
  tokenizer: Tokenizer;
  /** Side of the square images the image encoder takes, when it fixes one. */
  imageSize?: number;
}

/** The unified model of a run (src/core/model), seeded; NLU head sizes come from the dataset. */
export async function createModel(
  spec: Record<string, unknown>,
  ctx: { registry: Registry; seed: number; numIntents: number; numSlotLabels: number },
): Promise<ModelBundle> {
  const model = await createUnifiedModel(spec, {
    registry: ctx.registry,
    seed: ctx.seed,
    numIntents: ctx.numIntents,
    numSlotLabels: ctx.numSlotLabels,
  });
  return { model, tokenizer: model.tokenizer, imageSize: model.parts.image.imageSize };
}

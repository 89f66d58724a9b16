/** What a search result set holds: one table, or both merged by score. */
export type Modality = 'image' | 'text' | 'all';
/** `auto` (the default): the predicted intent decides, see modalityForIntent. */
export type ModalityChoice = Modality | 'auto';
export const MODALITY_CHOICES: readonly ModalityChoice[] = ['auto', 'image', 'text', 'all'];

const IMAGE_WORDS = new Set(['image', 'images', 'photo', 'photos', 'picture', 'pictures', 'pic', 'img']);
const TEXT_WORDS = new Set(['document', 'documents', 'doc', 'docs', 'text', 'texts', 'passage', 'article']);

/**
 * The modality an intent asks for, from the words of its name (split at '_' and '-'): an image word (find_image,
 * show_photo) → image; a document word (find_document) → text; anything else (or both) → all.
 */
export function modalityForIntent(intent: string): Modality {
  const words = intent.toLowerCase().split(/[_-]+/);
  const image = words.some((w) => IMAGE_WORDS.has(w));
  const text = words.some((w) => TEXT_WORDS.has(w));
  return image === text ? 'all' : image ? 'image' : 'text';
}

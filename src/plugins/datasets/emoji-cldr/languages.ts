/** The 12 languages of emoji-cldr (BCP-47 primary codes; emojibase-data locale folders of the same name). */
export const EMOJI_CLDR_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pl', 'ru', 'zh', 'ja', 'ko', 'hi', 'th'] as const;
export type EmojiCldrLanguage = (typeof EMOJI_CLDR_LANGUAGES)[number];

export const INTENTS = ['find_image', 'find_document', 'set_reminder', 'play_music'] as const;
export type Intent = (typeof INTENTS)[number];
/** Intents whose query targets a group (retrieval); the others have group null. */
export const RETRIEVAL_INTENTS: readonly Intent[] = ['find_image', 'find_document'];
export const SLOT_LABELS = ['object', 'time'] as const;

export const FAMILIES = ['google', 'twitter', 'openmoji'] as const;
export type Family = (typeof FAMILIES)[number];
/** Design families used for train/val images; openmoji is held out for the test splits. */
export const TRAIN_FAMILIES: readonly Family[] = ['google', 'twitter'];

export const SPLITS = ['train', 'val', 'test', 'test-unseen'] as const;
export type Split = (typeof SPLITS)[number];

import type { Intent } from '../languages';

/** What a chunk (longer passage for text→text retrieval) is built from, all in one language. */
export interface ChunkParts {
  label: string;
  tags: readonly string[];
  group: string; // emoji group name, e.g. 'animals & nature'
  subgroup: string; // emoji subgroup name, e.g. 'animal-mammal'
}

/** Query templates and noise a query is composed from: a template of its intent between a `pre` and a `post`. */
export interface TemplatePool {
  pre: readonly string[]; // interjections / filler, '' = none; must fit before any template
  post: readonly string[]; // politeness, '' = none; must fit after any template
  intents: Readonly<Record<Intent, readonly string[]>>;
}

/**
 * Query templates of one language. A template holds `{object}` exactly once and `{time}` at most once;
 * `{time}` is filled with Intl.RelativeTimeFormat(lang, { numeric: 'auto' }) output: past for find_*,
 * future for set_reminder. Noise (`pre` before, `post` after the request) never touches a slot.
 * The top-level pool makes every train and val query and the `seen` queries of the test splits; `heldOut`
 * (≥ 1 template per intent, ≥ 1 non-empty pre and post, none of them in the top-level pool) makes only the
 * test splits' `held-out` queries.
 */
export interface LanguageTemplates extends TemplatePool {
  lang: string;
  heldOut: TemplatePool;
  chunk(p: ChunkParts): string;
}

import { disposeBackend } from '../../core/backend';
import { UserError } from '../../core/errors';
import { resolveQueryLanguage } from '../../core/search/language';
import { MODALITY_CHOICES, openSearchEngine, type ModalityChoice, type SearchResponse } from '../../core/search/engine';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

/** The human-readable answer: NLU first, then one line per result. */
export function formatResponse(r: SearchResponse): string {
  const lines = [
    `query: ${r.query}  [${r.lang}, ${r.langRule}]`,
    `intent: ${r.intent} (${r.intentConfidence.toFixed(2)})`,
    `slots: ${r.slots.length ? r.slots.map((s) => `${s.label}=${JSON.stringify(s.text)}`).join(' ') : '(none)'}`,
    `semantic text: ${r.semanticText}${r.semanticSource === 'query' ? ' (no object slot: the whole query)' : ''}`,
  ];
  if (!r.retrieval) return [...lines, r.message!].join('\n');
  const where = `${r.index.plugin} index, split ${r.index.split}, ${r.index.count} items${r.filter.lang ? `, texts in ${r.filter.lang} only` : ''}`;
  const chosen =
    r.filter.modalityFrom === 'intent'
      ? ` (${r.filter.modality === 'all' ? 'images and texts' : `${r.filter.modality}s`} for intent ${r.intent}; --modality all searches both)`
      : '';
  lines.push(
    `top ${r.results.length} ${r.filter.modality === 'all' ? '' : `${r.filter.modality} `}results (${where})${chosen}:`,
  );
  for (const h of r.results) {
    const what =
      h.modality === 'image'
        ? `image  ${h.group}  ${h.file}`
        : `text   ${h.group}  [${h.lang}] ${h.text.length > 80 ? `${h.text.slice(0, 79)}…` : h.text}`;
    lines.push(`${String(h.rank).padStart(3)}  ${h.score.toFixed(4)}  ${what}`);
  }
  return lines.join('\n');
}

export const command: CliCommand = {
  name: 'search',
  summary: "Search a trained run's index with a natural-language query (NLU → fused query → top-k)",
  usage: `Usage: unir search <runDir> "<query>" [--k 10] [--lang auto|xx] [--modality auto|image|text|all] [--same-lang]
                   [--json] [--index exact|lancedb] [--split test] [--plugin MODULE ...]
       (global: --backend auto|tensorflow-gpu|tensorflow|wasm|cpu)

Runs the run's NLU module on the query (intent, slots, semantic text = the 'object' slots' text, else the
whole query), encodes the query with its NLU features fused in, and searches the index 'unir index' built.
Intents that need no retrieval (in emoji-cldr: set_reminder, play_music) answer retrieval: false, no results.
  --k N          results (default 10)
  --lang L       'auto' (default): Unicode script → ja/ko/zh/th/hi/ru, else a stop-word vote among
                 en/de/fr/es/it/pl, else en; or a language code. A tokenizer hint, and the text filter
                 with --same-lang
  --modality M   auto (default): what the predicted intent asks for: images for an intent named with
                 image/photo/picture (find_image), texts for document/text (find_document), else all;
                 or image, text, all (both, merged by score)
  --same-lang    text results only in the query's language (images unaffected)
  --json         one JSON object on stdout (shape: docs/search-json.md)
  --index ID     index plugin (default: the one built for the split; exact if several)
  --split S      the split that was indexed (default test)
  --plugin M     import a plugin module besides those config.json records (a path or a package; repeatable)`,
  async run(argv) {
    const { values, positionals } = parseFlags('search', argv, {
      k: { type: 'string', default: '10' },
      lang: { type: 'string', default: 'auto' },
      modality: { type: 'string', default: 'auto' },
      'same-lang': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      index: { type: 'string' },
      split: { type: 'string', default: 'test' },
      plugin: { type: 'string', multiple: true },
    });
    if (positionals.length !== 2)
      throw new UserError(
        `search: give a run directory and one quoted query, e.g. unir search runs/<runId> "a dog face" (got ${positionals.length} argument${positionals.length === 1 ? '' : 's'})`,
      );
    const [runDir, query] = positionals as [string, string];
    if (!query.trim())
      throw new UserError(
        `search: the query is empty; give the words to search for, e.g. unir search ${runDir} "a dog face"`,
      );
    if (!/^[1-9]\d*$/.test(values.k)) throw new UserError(`search: --k '${values.k}': expected a positive integer`);
    if (!(MODALITY_CHOICES as readonly string[]).includes(values.modality))
      throw new UserError(`search: --modality '${values.modality}': use one of ${MODALITY_CHOICES.join(', ')}`);
    resolveQueryLanguage(values.lang, query); // a bad --lang fails before the model loads
    try {
      const engine = await openSearchEngine(runDir, {
        registry: registry(),
        plugins: values.plugin,
        plugin: values.index,
        split: values.split,
      });
      try {
        const r = await engine.search(query, {
          k: Number(values.k),
          lang: values.lang,
          modality: values.modality as ModalityChoice,
          sameLang: values['same-lang'],
        });
        console.log(
          values.json
            ? JSON.stringify({ ...r, timingsMs: { open: Math.round(engine.openMs), ...r.timingsMs } }, null, 2)
            : formatResponse(r),
        );
        return 0;
      } finally {
        await engine.dispose();
      }
    } finally {
      await disposeBackend();
    }
  },
};

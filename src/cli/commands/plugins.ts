import { PLUGIN_KINDS, type PluginKind } from '../../core/registry';
import { UserError, didYouMean } from '../../core/errors';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

export interface PluginRow {
  kind: PluginKind;
  id: string;
  summary: string;
  defaults: unknown;
}

export function pluginRows(kind?: PluginKind): PluginRow[] {
  const reg = registry();
  return (kind ? reg.list(kind) : reg.list()).map((p) => ({
    kind: p.kind,
    id: p.id,
    summary: p.summary,
    defaults: reg.defaults(p),
  }));
}

export const command: CliCommand = {
  name: 'plugins',
  summary: 'List registered plugins: kind, id, summary, config defaults',
  usage: `Usage: unir plugins [--kind ${PLUGIN_KINDS.join('|')}] [--json]

Lists every registered plugin with its one-line summary and the defaults of its config schema.
  --kind K   only plugins of kind K
  --json     one JSON array (kind, id, summary, defaults) on stdout`,
  async run(argv) {
    const { values } = parseFlags('plugins', argv, { kind: { type: 'string' }, json: { type: 'boolean' } }, false);
    const kind = values.kind as PluginKind | undefined;
    if (kind !== undefined && !PLUGIN_KINDS.includes(kind)) {
      const hint = didYouMean(kind, PLUGIN_KINDS);
      throw new UserError(
        `plugins --kind: unknown kind '${kind}'.${hint ? ` Did you mean '${hint}'?` : ''} Known: ${PLUGIN_KINDS.join(', ')}.`,
      );
    }
    const rows = pluginRows(kind);
    if (values.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    for (const k of kind ? [kind] : PLUGIN_KINDS) {
      const ofKind = rows.filter((r) => r.kind === k);
      if (ofKind.length === 0) continue;
      console.log(`${k}:`);
      for (const r of ofKind) {
        console.log(`  ${r.id.padEnd(18)} ${r.summary}`);
        console.log(`  ${''.padEnd(18)} defaults ${JSON.stringify(r.defaults)}`);
      }
    }
    return 0;
  },
};

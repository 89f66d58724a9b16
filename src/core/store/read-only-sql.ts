import { StatementType, type DuckDBConnection } from '@duckdb/node-api';

/**
 * DuckDB settings of a query-only connection to the run store: the file opened read-only, no file system
 * or network access (COPY … TO, ATTACH, read_text, INSTALL/LOAD fail), no extension auto-loading, and the
 * configuration locked so that a statement cannot turn any of it back on.
 */
export const READ_ONLY_CONFIG: Record<string, string> = {
  access_mode: 'READ_ONLY',
  enable_external_access: 'false',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  lock_configuration: 'true',
};

const EXAMPLE = `e.g. "SELECT run_id, status FROM runs"`;

/**
 * Why `sql` is not exactly one SELECT statement, as DuckDB's own parser and binder classify it (SHOW, DESCRIBE,
 * SUMMARIZE, PRAGMA show_tables and WITH … SELECT are SELECTs); undefined when it is one. DuckDB errors
 * (syntax, unknown table, file access refused) are returned as DuckDB's first line.
 */
export async function readOnlySqlProblem(c: DuckDBConnection, sql: string): Promise<string | undefined> {
  if (!sql.trim()) return `the query is empty; give one SELECT statement, ${EXAMPLE}`;
  let extracted: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
  try {
    extracted = await c.extractStatements(sql);
  } catch (e) {
    const msg = firstLine(e);
    // DuckDB's parser gives no message for input that holds no statement (only comments or semicolons)
    if (/^Error in native callback$/.test(msg))
      return `no SQL statement in the query; give one SELECT statement, ${EXAMPLE}`;
    return msg.replace(/^Failed to extract statements: /, '');
  }
  if (extracted.count === 0) return `no SQL statement in the query; give one SELECT statement, ${EXAMPLE}`;
  if (extracted.count > 1) return `${extracted.count} statements in one query; give one SELECT statement at a time`;
  let type: StatementType;
  try {
    type = (await extracted.prepare(0)).statementType;
  } catch (e) {
    return accessHint(firstLine(e));
  }
  if (type !== StatementType.SELECT) {
    const name =
      type === StatementType.LOAD
        ? 'INSTALL/LOAD'
        : ((StatementType as unknown as Record<number, string>)[type] ?? `type ${type}`);
    return `${name.replace(/_/g, ' ')} statements are refused (the run store is read-only here); give one SELECT statement, ${EXAMPLE}`;
  }
  return undefined;
}

/** DuckDB's refusal of a file or network access, with what --sql may read instead. */
export function accessHint(msg: string): string {
  return /^Permission Error/.test(msg)
    ? `${msg}; queries read the run store's tables only (runs, configs, metrics, history)`
    : msg;
}

const firstLine = (e: unknown) =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .trim();

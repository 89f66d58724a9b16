import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../fs-atomic';
import type { Registry } from '../registry';
import { buildReport, type ReportModel } from './model';
import { renderHtml, renderMarkdown } from './render';
import { loadRunRecord, runFile } from '../run';

export * from './figures';
export * from './model';
export * from './render';

export interface WrittenReport {
  model: ReportModel;
  html: string;
  markdown: string;
  json: string;
}

function write(model: ReportModel, dir: string): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const out = {
    html: runFile(dir, 'reportHtml'),
    markdown: runFile(dir, 'reportMd'),
    json: runFile(dir, 'reportJson'),
  };
  writeFileAtomic(out.json, `${JSON.stringify(model, null, 2)}\n`);
  writeFileAtomic(out.markdown, renderMarkdown(model));
  writeFileAtomic(out.html, renderHtml(model));
  return { model, ...out };
}

/** (Re)generates report.html / report.md / report.json in a run directory from its record. */
export function writeRunReport(runDir: string, reg: Registry): WrittenReport {
  return write(buildReport([loadRunRecord(runDir)], reg), resolve(runDir));
}

/** Side-by-side report of several runs (one colour per run, a table of deltas) into outDir. */
export function writeComparison(runDirs: string[], outDir: string, reg: Registry): WrittenReport {
  return write(buildReport(runDirs.map(loadRunRecord), reg), resolve(outDir));
}

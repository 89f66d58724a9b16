import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeComparison, writeRunReport } from '../../../src/core/report';
import { loadRunRecord, parseHistory } from '../../../src/core/run';
import { createRegistry } from '../../../src/plugins';
import { openInChromium } from '../../helpers/browser';
import { writeFakeRun } from '../../helpers/fake-run';
import { unir } from '../../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'unir-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const reg = createRegistry({ warn: () => {} });
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

describe('report', () => {
  it('report.json carries the per-language numbers of metrics.json exactly', () => {
    const dir = join(tmp, 'run-a');
    writeFakeRun(dir, 'run-a', 1);
    const { model } = writeRunReport(dir, reg);
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    const t2i = model.figures.find((f) => f.id === 'retrieval-t2i')!;
    const r10 = t2i.data.find((d) => d.name === 'R@10')!;
    expect(r10.x).toEqual(['de', 'en', 'es', 'fr', 'hi', 'it', 'ja', 'ko', 'pl', 'ru', 'th', 'zh', 'mean']);
    expect(r10.y).toEqual((r10.x as string[]).map((l) => metrics.final.retrieval.t2i[l]['R@10']));
    expect(model.figures.map((f) => f.id)).toEqual([
      'loss-stage1',
      'loss-stage2',
      'loss-stage3',
      'retrieval-t2i',
      'retrieval-i2t',
      'retrieval-t2t',
      'nlu',
      'intent-confusion',
    ]);
    const stageTable = model.tables.find((t) => t.title.startsWith('Stage to stage'))!;
    expect(stageTable.rows.map((r) => r[0])).toEqual(['stage1', 'stage2', 'stage3', 'final (test)']);
    expect(stageTable.rows[1]![1]).toBeCloseTo(metrics.stages[1].metrics.retrieval.t2i.mean['R@10'], 4);
    const confusion = model.tables.find((t) => t.title.startsWith('NLU confusion'))!;
    expect(confusion.rows[0]).toEqual(['find_document', 'find_image', 4]);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('| find_document | find_image | 4 |');
  });

  it('renders in headless Chromium: every chart drawn, no console errors', async () => {
    const dir = join(tmp, 'run-b');
    writeFakeRun(dir, 'run-b', 2);
    const { html, model } = writeRunReport(dir, reg);
    const page = await openInChromium(html, join(ARTIFACTS, 'report.png'));
    expect(page.consoleErrors).toEqual([]);
    expect(page.chartDivs).toBe(model.figures.length);
    expect(page.charts).toBe(model.figures.length);
    expect(existsSync(join(ARTIFACTS, 'report.png'))).toBe(true);
  });

  it('unir compare renders two runs with one colour per run and a delta table', async () => {
    const a = join(tmp, 'cmp-a');
    const b = join(tmp, 'cmp-b');
    writeFakeRun(a, 'cmp-a', 3);
    writeFakeRun(b, 'cmp-b', 4);
    const out = join(tmp, 'cmp-out');
    const r = unir(['compare', a, b, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const model = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const t2t = model.figures.find((f: { id: string }) => f.id === 'retrieval-t2t');
    expect(t2t.data.map((d: { name: string }) => d.name)).toEqual(['cmp-a', 'cmp-b']);
    const ma = JSON.parse(readFileSync(join(a, 'metrics.json'), 'utf8'));
    const mb = JSON.parse(readFileSync(join(b, 'metrics.json'), 'utf8'));
    const deltas = model.tables.find((t: { title: string }) => t.title === 'Deltas against cmp-a');
    const row = deltas.rows.find((x: unknown[]) => x[0] === 't2i R@10' && x[1] === 'ja');
    expect(row[3]).toBeCloseTo(mb.final.retrieval.t2i.ja['R@10'] - ma.final.retrieval.t2i.ja['R@10'], 4);
    const page = await openInChromium(join(out, 'report.html'), join(ARTIFACTS, 'compare.png'));
    expect(page.consoleErrors).toEqual([]);
    expect(page.charts).toBe(model.figures.length);
  });

  it('history parsing skips a torn last line (a run killed mid-write)', () => {
    const rows = parseHistory('{"stage":"s1","step":1,"globalStep":1,"losses":{"ti":2}}\n{"stage":"s1","st');
    expect(rows).toEqual([
      { stage: 's1', step: 1, globalStep: 1, losses: { ti: 2 }, lr: undefined, samplesPerSec: undefined },
    ]);
  });

  it('bad input: a run dir without metrics and a garbled metrics.json are one-line errors', () => {
    const empty = join(tmp, 'empty');
    rmSync(empty, { recursive: true, force: true });
    expect(() => loadRunRecord(join(tmp, 'nope'))).toThrowError(
      /nope: no such run directory; list runs with 'unir runs'$/,
    );
    const r1 = unir(['report', tmp]);
    expect(r1.code).toBe(2);
    expect(r1.stderr.trim()).toBe(
      `unir: report: ${tmp}: not a run directory (no run.json, config.json or metrics.json); give a folder 'unir run' wrote, e.g. runs/<runId> ('unir runs' lists them)`,
    );
    expect(() => loadRunRecord(tmp)).toThrowError(
      `${join(tmp, 'metrics.json')}: missing; this is not a run directory (no run.json or config.json); give a folder 'unir run' wrote, e.g. runs/<runId> ('unir runs' lists them)`,
    );
    const bad = join(tmp, 'bad');
    writeFakeRun(bad, 'bad', 5);
    writeFileSync(join(bad, 'metrics.json'), '{"runId": ');
    const r2 = unir(['report', bad]);
    expect(r2.code).toBe(2);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toMatch(/metrics\.json: not valid JSON \(.*JSON.*\); re-run the evaluation or restore the file/);
  });
});

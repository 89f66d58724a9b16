import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unir } from '../helpers/cli';
import { runAndKill } from '../helpers/run-and-kill';

// A plugin module outside the checkout (an ES module importing only 'unir/plugin'), named with --plugin: it trains,
// a killed run resumes with it from what config.json recorded, and a new process reports it.
const tmp = mkdtempSync(join(tmpdir(), 'unir-plugin-module-'));
const module = join(tmp, 'triplet-margin.mts');
copyFileSync('test/fixtures/plugins/triplet-margin.mts', module);
const out = join(tmp, 'runs');
const dir = join(out, 'pm');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const history = () =>
  readFileSync(join(dir, 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { globalStep: number; losses: Record<string, number> });

describe('a plugin module outside the checkout', () => {
  it('trains a stage term, resumes after kill -9 with the recorded module, and appears in the report', async () => {
    const args = [
      'run',
      'smoke',
      '--plugin',
      module,
      '--out',
      out,
      '--run-id',
      'pm',
      '--set',
      'checkpointEvery=1',
      '--set',
      'curriculum.stages.stage1.terms.ti.loss="triplet-margin"',
      '--set',
      'curriculum.steps={"stage1":4,"stage2":1,"stage3":1}',
    ];
    const k = await runAndKill(args, join(dir, 'history.jsonl'), 2);
    expect(k.killed).toBe(true);
    const cfg = json(join(dir, 'config.json'));
    expect(JSON.stringify(cfg.plugins)).toContain('triplet-margin.mts');
    expect(JSON.stringify(cfg.plugins)).toMatch(/"sha256":"[0-9a-f]{64}"/);

    const r = unir(['run', '--resume', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(join(dir, 'run.json')).status).toBe('finished');
    const h = history();
    expect(h.at(-1)!.globalStep).toBe(6);
    // the triplet hinge lies in [0, margin + 2] and is logged under the term's name in stage 1
    for (const e of h.filter((x) => x.globalStep <= 4)) {
      expect(e.losses.ti).toBeGreaterThanOrEqual(0);
      expect(e.losses.ti).toBeLessThanOrEqual(2.2);
    }

    const rep = unir(['report', dir]);
    expect(rep.code, rep.stderr).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('triplet-margin');
    expect(md).toContain('Hinge on the hardest in-batch negative');
  }, 600_000);
});

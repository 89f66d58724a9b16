import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unir } from '../../helpers/cli';

// Real smoke runs: USE lite (in node_modules) as the teacher, 10 distill steps, then the three stages.
const tmp = mkdtempSync(join(tmpdir(), 'unir-distill-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const curriculum =
  '--set=curriculum={"id":"distill-three-stage","steps":{"stage1":12,"stage2":1,"stage3":1},"distill":10}';

describe('distill-three-stage', () => {
  it('distils the teacher into the text tower first: kd falls and the student rows turn towards the teacher', () => {
    const r = unir([
      'run',
      'smoke',
      curriculum,
      '--set=model.teacher={"id":"use-lite-en"}',
      '--out',
      tmp,
      '--run-id',
      'd',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('distill (10) → stage1 (2) → stage2 (1) → stage3 (1); 14 steps');
    const h = readFileSync(join(tmp, 'd', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stage: string; losses: Record<string, number> });
    expect(h.map((e) => e.stage)).toEqual([...Array(10).fill('distill'), 'stage1', 'stage1', 'stage2', 'stage3']);
    const kd = h.filter((e) => e.stage === 'distill').map((e) => e.losses);
    // unit rows: kd = (2 − 2 cos x) + (2 − 2 cos pivot), within [0, 8]
    for (const l of kd) expect(Math.abs(l.kd! - (4 - 2 * l['kd.cosX']! - 2 * l['kd.cosPivot']!))).toBeLessThan(1e-3);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(kd.slice(-3).map((l) => l.kd!))).toBeLessThan(0.7 * mean(kd.slice(0, 3).map((l) => l.kd!)));
    expect(kd.at(-1)!['kd.cosX']).toBeGreaterThan(kd[0]!['kd.cosX']! + 0.2);
  }, 300_000);

  it('without model.teacher: refused when the experiment resolves, before any data or run folder', () => {
    const line =
      /^unir: --set curriculum=\{.*\}: model\.teacher: stage distill has 'translation' pairs, which distil a teacher into the text encoder, but the model has none; set model\.teacher \(e\.g\. \{ id: 'use-lite-en' \}\)$/;
    for (const extra of [[], ['--dry-run']]) {
      const r = unir(['run', 'smoke', curriculum, '--out', tmp, '--run-id', 'no-teacher', ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(line); // the whole of stderr: no progress, no stack
    }
    expect(existsSync(join(tmp, 'no-teacher'))).toBe(false);
  }, 300_000);

  it('distill steps must leave stage1 some: a one-line config error', () => {
    const r = unir([
      'run',
      'smoke',
      '--set=curriculum={"id":"distill-three-stage","steps":{"stage1":4,"stage2":1,"stage3":1},"distill":4}',
      '--out',
      tmp,
      '--dry-run',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /curriculum\.distill: 4 distill steps leave none of stage1's 4; set distill below 4 or raise curriculum\.steps\.stage1/,
    );
  }, 300_000);
});

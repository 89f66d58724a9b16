import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unir } from '../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'unir-threads-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** history.jsonl's rows without their clock fields. */
function rows(out: string): unknown[] {
  const [dir] = readdirSync(out);
  return readFileSync(join(out, dir!, 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { samplesPerSec: _s, time: _t, ...row } = JSON.parse(l) as Record<string, unknown>;
      return row;
    });
}

describe('unir run on 1 and 2 threads', () => {
  it('an image-cnn model trains to the same history, bit for bit (on 2, with its backward pass on the worker or not)', () => {
    const run = (threads: string, defer?: '0') => {
      const out = join(tmp, `t${threads}-${defer ?? 'default'}`);
      const r = unir(
        [
          'run',
          'smoke',
          '--set',
          'model.image={"id":"image-cnn","imageSize":16,"channels":[8,16,24]}',
          '--set',
          'curriculum.steps.stage1=8',
          '--set',
          'curriculum.steps.stage2=2',
          '--set',
          'curriculum.steps.stage3=6',
          '--out',
          out,
        ],
        { UNIR_WASM_THREADS: threads, ...(defer ? { UNIR_DEFER_BACKWARD: defer } : {}) },
      );
      expect(r.code, r.stderr).toBe(0);
      return rows(out);
    };
    const one = run('1');
    expect(one).toHaveLength(16);
    expect(run('2')).toEqual(one); // the image tower's backward pass queued for the worker (the default)
    expect(run('2', '0')).toEqual(one); // UNIR_DEFER_BACKWARD=0: the image tower's backward pass on this thread
  });
});

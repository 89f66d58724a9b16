import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestExperiment, VALID } from '../bad-input/fixtures';

// Issue 19 item 5: two runs started in the same second with the default id used to collide (the second was refused
// with "already holds a run; continue it with --resume", advice for a different run). Default ids are claimed
// atomically now; a taken one gets -2, -3, …

const tmp = mkdtempSync(join(tmpdir(), 'unir-run-ids-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, UNIR_CACHE_DIR: join(tmp, 'cache'), UNIR_WASM_THREADS: '1' };

function start(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve('bin/unir.mjs'), ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** UTC seconds as the default run id writes them. */
const stampOf = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

describe('default run ids', () => {
  it('two runs started at once, with the default id of their second already taken, both train, each in its own folder', async () => {
    const exp = manifestExperiment(join(tmp, 'exp'), resolve(VALID, 'manifest.jsonl'));
    const out = join(tmp, 'runs');
    // another run holds the default id of every second of the next two minutes: both new runs must step aside
    const now = Date.now();
    const taken = Array.from({ length: 120 }, (_, s) => `corpus--${stampOf(now + s * 1000)}--s1`);
    for (const id of taken) {
      mkdirSync(join(out, id), { recursive: true });
      writeFileSync(join(out, id, 'config.json'), `{"id":"corpus","note":"${id}"}`);
    }
    const [a, b] = await Promise.all([start(['run', exp, '--out', out]), start(['run', exp, '--out', out])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(`${a.stderr}\n${b.stderr}`).not.toContain('already holds');
    const dirs = [a, b].map((r) => /^finished: (.+)$/m.exec(r.stdout)?.[1]);
    expect(dirs[0]).toBeDefined();
    expect(dirs[1]).toBeDefined();
    expect(dirs[0]).not.toBe(dirs[1]);
    for (const d of dirs as string[]) {
      expect(basename(d)).toMatch(/^corpus--\d{8}-\d{6}-\d+--s1$/); // the second was taken: a suffix after it
      expect(taken).toContain(basename(d).replace(/-\d+--s1$/, '--s1'));
      expect(JSON.parse(readFileSync(join(d, 'run.json'), 'utf8'))).toMatchObject({
        status: 'finished',
        runId: basename(d),
      });
      expect(JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')).id).toBe('corpus');
      expect(existsSync(join(d, 'metrics.json'))).toBe(true);
    }
    // the runs that held the ids are untouched
    for (const id of taken) {
      expect(readdirSync(join(out, id))).toEqual(['config.json']);
      expect(readFileSync(join(out, id, 'config.json'), 'utf8')).toBe(`{"id":"corpus","note":"${id}"}`);
    }
  }, 180_000);
});

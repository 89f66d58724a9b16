import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charts, openChromium, type Browser, type ChartState } from './chromium';

/**
 * Notebook 04 as a person opens it: `npm run notebook` (scripts/notebook.sh) serves it in Debian's classic
 * Jupyter Notebook, headless Chromium (fresh profile, no network) runs it from the menus, reloads the page,
 * re-runs the chart cell, restarts the kernel; then the same notebook executed by nbconvert is opened in the UI
 * (untrusted, then signed) and exported to HTML. Every chart must draw (coloured pixels in its screenshot), with
 * one legend entry per trace, every point visible, the right button highlighted, and no console error.
 * Screenshots: test-artifacts/notebooks/. UNIR_PROFILE=ci; runs in a temp folder.
 */
const ROOT = resolve('.');
const NB = '04-umap-multilingual.ipynb';
const PY = '/usr/bin/python3';
const tmp = mkdtempSync(join(tmpdir(), 'unir-nb-ui-'));
const nbDir = join(tmp, 'notebooks');
const env = {
  ...process.env,
  UNIR_PROFILE: 'ci',
  UNIR_RUNS_DIR: join(tmp, 'runs'),
  DISPLAY: '',
  WAYLAND_DISPLAY: '',
  PYDEVD_DISABLE_FILE_VALIDATION: '1',
};

let server: ChildProcess;
let log = '';
let url = '';
let browser: Browser;
const timings: Record<string, number> = {};

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

const childPids = (pid: number) =>
  spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map(Number);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  mkdirSync(nbDir, { recursive: true });
  copyFileSync(join('notebooks', NB), join(nbDir, NB)); // Run All and Save change it: never the committed copy
  const port = await freePort();
  server = spawn('bash', ['scripts/notebook.sh', `--port=${port}`, `--notebook-dir=${nbDir}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (d) => (log += d));
  server.stderr!.on('data', (d) => (log += d));
  const t0 = Date.now();
  while (!/http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.test(log)) {
    if (server.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`notebook server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  url = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(log)![0];
  browser = await openChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server?.pid) {
    const kernels = childPids(server.pid);
    process.kill(server.pid, 'SIGTERM'); // the notebook server shuts its kernels down on SIGTERM
    for (let i = 0; i < 100 && (alive(server.pid) || kernels.some(alive)); i++)
      await new Promise((r) => setTimeout(r, 100));
    for (const pid of [server.pid, ...kernels]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(tmp, { recursive: true, force: true });
  console.log(`notebook UI timings (s): ${JSON.stringify(timings)}`);
}, 60_000);

async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await f();
  } finally {
    timings[name] = Math.round((Date.now() - t0) / 100) / 10;
  }
}

/** Opens a notebook of the server and waits for its kernel. */
async function open(page: Page, name: string) {
  await page.goto(url.replace('/?token=', `/notebooks/${name}?token=`));
  await page.waitForFunction(
    () => {
      const nb = (window as any).Jupyter?.notebook;
      return nb?._fully_loaded && nb.kernel?.is_connected() && nb.kernel_selector?.current_selection === 'unir';
    },
    undefined,
    { timeout: 90_000, polling: 250 },
  );
}

/** Waits until no cell is running and `n` charts are drawn. */
async function settled(page: Page, n: number) {
  await page.waitForFunction(
    (want) => {
      const nb = (window as any).Jupyter.notebook;
      const running = nb.get_cells().some((c: any) => c.cell_type === 'code' && c.input_prompt_number === '*');
      return !running && !nb.kernel_busy && document.querySelectorAll('#notebook [data-unir="drawn"]').length >= want;
    },
    n,
    { timeout: 300_000, polling: 500 },
  );
}

async function menu(page: Page, top: string, item: string) {
  await page.click(`#${top}`);
  await page.click(`#${item} > a`);
}

/** Notebook 04's three charts: the 2-D map by language, the 2-D map by modality, the 3-D map by language. */
function expectNotebook04Charts(c: ChartState[], when: string) {
  expect(
    c.map((x) => x.title),
    when,
  ).toEqual([
    expect.stringMatching(/^UMAP 2-D/),
    expect.stringMatching(/^UMAP 2-D/),
    expect.stringMatching(/^UMAP 3-D/),
  ]);
  const langs = c[0]!.legend.slice(0, -1);
  expect(c[0]!.legend, when).toEqual([...langs, 'image']); // one entry per language, then the images
  expect(langs.length, when).toBeGreaterThanOrEqual(2);
  expect(langs.every((l) => /^[a-z]{2,3}$/.test(l)) && new Set(langs).size === langs.length, `${when}: ${langs}`).toBe(
    true,
  );
  expect(c[1]!.legend, when).toEqual(['text', 'image']);
  expect(c[2]!.legend, when).toEqual(c[0]!.legend);
  expect(
    c.map((x) => x.activeButton),
    when,
  ).toEqual(['colour by language', 'colour by modality', 'colour by language']);
  for (const x of c) {
    expect(x.titlePoints, when).toBeGreaterThan(0);
    expect(x.visiblePoints, `${when}: points shown vs the title's count`).toBe(x.titlePoints);
    expect(x.colouredPixels, `${when}: ${x.title} drawn`).toBeGreaterThan(100);
  }
}

function noErrors(when: string) {
  expect(browser.errors, when).toEqual([]);
  expect(browser.external, when).toEqual([]);
}

describe('notebook 04 in the classic Notebook (npm run notebook) and headless Chromium', () => {
  it('npm run notebook: 127.0.0.1, a printed URL with its token, --no-browser without a display, the profile passed through', () => {
    expect(log).toContain(
      `notebook: profile ci (UNIR_PROFILE=ci npm run notebook for tiny runs), kernel 'TypeScript (unir)' of ${ROOT}`,
    );
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toEqual(
      expect.arrayContaining([
        '/usr/bin/python3',
        '-m',
        'notebook',
        '--ip=127.0.0.1',
        '--no-browser',
        `--notebook-dir=${nbDir}`,
      ]),
    );
    expect(readFileSync(`/proc/${server.pid}/environ`, 'utf8').split('\0')).toEqual(
      expect.arrayContaining([`JUPYTER_PATH=${ROOT}/.cache/jupyter`, 'UNIR_PROFILE=ci']),
    );
  });

  it('charts draw on the first Run All, after a reload with the kernel alive, after re-running the chart cell and after a kernel restart', async () => {
    const { page } = browser;
    await timed('open', () => open(page, NB));
    await timed('run all', async () => {
      await menu(page, 'celllink', 'run_all_cells');
      await settled(page, 3);
    });
    expect(await page.evaluate(() => (window as any).Jupyter.notebook.get_cell(1).output_area.outputs[0].text)).toBe(
      'profile: ci\n',
    );
    expectNotebook04Charts(await charts(page, '#notebook', 'ui-1-first-run'), 'first run');
    noErrors('first run');

    await timed('save + reload', async () => {
      await menu(page, 'filelink', 'save_checkpoint');
      await page.waitForFunction(() => (window as any).Jupyter.notebook.dirty === false, undefined, {
        timeout: 30_000,
      });
      await page.reload();
      await open(page, NB);
      await page.waitForFunction(
        () => document.querySelectorAll('#notebook [data-unir="drawn"]').length === 3,
        undefined,
        { timeout: 60_000 },
      );
    });
    expect(await page.evaluate(() => (window as any).Jupyter.notebook.trusted)).toBe(true);
    expectNotebook04Charts(await charts(page, '#notebook', 'ui-2-after-reload'), 'after reload');
    noErrors('after reload');

    await timed('re-run chart cell', async () => {
      await page.locator('#notebook-container > .cell').nth(5).locator('.input_prompt').click();
      await page.keyboard.press('Shift+Enter');
      await page
        .waitForFunction(
          () =>
            (window as any).Jupyter.notebook.get_cell(5).output_area.outputs.length === 0 ||
            document.querySelectorAll('#notebook [data-unir="drawn"]').length < 3,
          undefined,
          { timeout: 30_000 },
        )
        .catch(() => undefined);
      await settled(page, 3);
    });
    expectNotebook04Charts(await charts(page, '#notebook', 'ui-3-rerun-after-reload'), 're-run after reload');
    noErrors('re-run after reload');

    await timed('restart + run all', async () => {
      await menu(page, 'kernellink', 'restart_run_all');
      await page.click('.modal-dialog .modal-footer button.btn-danger');
      await page.waitForFunction(
        () => document.querySelectorAll('#notebook [data-unir="drawn"]').length === 0,
        undefined,
        { timeout: 60_000 },
      );
      await settled(page, 3);
    });
    expectNotebook04Charts(await charts(page, '#notebook', 'ui-4-after-restart'), 'after kernel restart');
    noErrors('after kernel restart');
  }, 900_000);

  it('a notebook executed by nbconvert draws in the UI (untrusted, and signed with python3 -m nbformat.sign) and in its HTML export offline', async () => {
    const executed = join(nbDir, '04-executed.ipynb');
    await timed('nbconvert execute', async () => {
      const r = spawnSync(
        PY,
        [
          '-m',
          'jupyter',
          'nbconvert',
          '--to',
          'notebook',
          '--execute',
          join('notebooks', NB),
          '--ExecutePreprocessor.timeout=900',
          '--output',
          executed,
        ],
        {
          encoding: 'utf8',
          env: { ...env, JUPYTER_PATH: join(ROOT, '.cache', 'jupyter') },
          timeout: 900_000,
        },
      );
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
    });
    // output sizes: the MIME bundle + the HTML fallback per chart; plotly.js travels once
    const outs = (
      JSON.parse(readFileSync(executed, 'utf8')) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] }
    ).cells
      .flatMap((c) => c.outputs ?? [])
      .filter((o) => o.data?.['application/vnd.plotly.v1+json']);
    const sizes = outs.map((o) => ({
      json: JSON.stringify(o.data!['application/vnd.plotly.v1+json']).length,
      html: String(o.data!['text/html']).length,
    }));
    console.log(
      `04 executed: ${readFileSync(executed).length} bytes; per chart (plotly JSON, HTML fallback): ${JSON.stringify(sizes)}`,
    );
    expect(sizes).toHaveLength(3);
    expect(outs.filter((o) => String(o.data!['text/html']).includes("P.add('inline'"))).toHaveLength(1);
    expect(sizes[0]!.html).toBeLessThan(2_200_000);
    for (const s of sizes.slice(1)) expect(s.html).toBeLessThan(s.json + 4000);
    expect(readFileSync(executed).length).toBeLessThan(2_400_000);

    const { page } = browser;
    await timed('open executed (untrusted)', async () => {
      await open(page, '04-executed.ipynb');
      await page.waitForFunction(
        () => document.querySelectorAll('#notebook [data-unir="drawn"]').length === 3,
        undefined,
        { timeout: 60_000 },
      );
    });
    expect(await page.evaluate(() => (window as any).Jupyter.notebook.trusted)).toBe(false);
    expectNotebook04Charts(await charts(page, '#notebook', 'ui-5-executed-untrusted'), 'executed elsewhere, untrusted');
    noErrors('executed elsewhere, untrusted');

    const sign = spawnSync(PY, ['-m', 'nbformat.sign', executed], { encoding: 'utf8', env });
    expect(sign.status, sign.stderr).toBe(0);
    await timed('open executed (signed)', async () => {
      await open(page, '04-executed.ipynb');
      await page.waitForFunction(
        () => document.querySelectorAll('#notebook [data-unir="drawn"]').length === 3,
        undefined,
        { timeout: 60_000 },
      );
    });
    expect(await page.evaluate(() => (window as any).Jupyter.notebook.trusted)).toBe(true);
    expectNotebook04Charts(await charts(page, '#notebook', 'ui-6-executed-signed'), 'executed elsewhere, signed');
    noErrors('executed elsewhere, signed');

    // nbconvert's HTML export, opened from disk with the network off
    const html = join(tmp, '04-executed.html');
    const conv = spawnSync(PY, ['-m', 'jupyter', 'nbconvert', '--to', 'html', executed, '--output', html], {
      encoding: 'utf8',
      env,
    });
    expect(conv.status, conv.stderr).toBe(0);
    expect(existsSync(html)).toBe(true);
    const offline = await openChromium();
    try {
      await timed('html export', async () => {
        await offline.page.goto(pathToFileURL(html).href);
        await offline.page.waitForFunction(
          () => document.querySelectorAll('[data-unir="drawn"]').length === 3,
          undefined,
          { timeout: 60_000 },
        );
      });
      expectNotebook04Charts(await charts(offline.page, 'body', 'export-html'), 'nbconvert HTML export');
      // nbconvert's own template asks a CDN for require.js and MathJax: refused offline, and unused by the charts
      expect(
        offline.external.every((u) => /^https:\/\/cdnjs\.cloudflare\.com\/ajax\/libs\/(require\.js|mathjax)\//.test(u)),
        offline.external.join('\n'),
      ).toBe(true);
      const ours = offline.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|cdnjs\.cloudflare\.com/.test(e));
      expect(ours).toEqual([]);
    } finally {
      await offline.close();
    }
  }, 900_000);
});

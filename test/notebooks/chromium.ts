import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'notebooks');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** console errors, uncaught page errors, failed requests and HTTP errors, in order */
  errors: string[];
  /** requests that left 127.0.0.1 / file: (each one aborted: the browser is offline) */
  external: string[];
  close(): Promise<void>;
}

/**
 * Headless Debian Chromium with a fresh profile (--user-data-dir), no network but 127.0.0.1 and files: every other
 * request is aborted and recorded. Console errors, page errors and failed requests are collected.
 */
export async function openChromium(o: { javaScript?: boolean } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'unir-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 1000 },
    javaScriptEnabled: o.javaScript ?? true,
  });
  const errors: string[] = [];
  const external: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (/^(file:|data:|blob:|https?:\/\/127\.0\.0\.1[:/])/.test(url)) return route.continue();
    external.push(url);
    return route.abort('internetdisconnected');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // Chrome's own note when a page's beforeunload handler asks to confirm leaving without a user gesture (Jupyter asks
  // while a notebook is dirty or its kernel busy): the browser's intervention, not an error of the page
  const intervention = /^Blocked attempt to show a 'beforeunload' confirmation panel/;
  page.on(
    'console',
    (m) => m.type() === 'error' && !intervention.test(m.text()) && errors.push(`console: ${m.text()}`),
  );
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // ERR_ABORTED: a request cut short by leaving the page (a reload), not a failure
  page.on(
    'requestfailed',
    (r) =>
      r.failure()?.errorText !== 'net::ERR_ABORTED' &&
      errors.push(`requestfailed: ${r.url().slice(0, 200)} ${r.failure()?.errorText ?? ''}`),
  );
  page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()}: ${r.url().slice(0, 200)}`));
  page.on('dialog', (d) => void d.accept());
  return {
    context,
    page,
    errors,
    external,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a drawn plotly chart shows: its legend, visible points, the title's point count, the highlighted button. */
export interface ChartState {
  title: string;
  legend: string[];
  visiblePoints: number;
  titlePoints: number | null;
  activeButton: string | null;
  /** pixels of the chart's screenshot in a saturated colour (markers, lines): a drawn chart has many */
  colouredPixels: number;
}

/** The state of every plotly chart (.js-plotly-plot) inside `scope`, each screenshot to ARTIFACTS/<name>-<i>.png. */
export async function charts(page: Page, scope: string, name: string): Promise<ChartState[]> {
  const plots = page.locator(`${scope} .js-plotly-plot`);
  const out: ChartState[] = [];
  for (let i = 0; i < (await plots.count()); i++) {
    const plot = plots.nth(i);
    const s = await plot.evaluate((el) => {
      const gd = el as unknown as {
        data: { name?: string; visible?: unknown; x?: unknown[] }[];
        layout: { title?: { text?: string }; updatemenus?: { active?: number; buttons: { label: string }[] }[] };
      };
      const title = gd.layout.title?.text ?? '';
      const shown = gd.data.filter((t) => t.visible !== false && t.visible !== 'legendonly');
      const menu = gd.layout.updatemenus?.[0];
      return {
        title,
        legend: [...el.querySelectorAll('.legendtext')].map((e) => e.textContent ?? ''),
        visiblePoints: shown.reduce((n, t) => n + (t.x?.length ?? 0), 0),
        titlePoints: /\((\d+) points\)/.test(title) ? Number(/\((\d+) points\)/.exec(title)![1]) : null,
        activeButton: menu ? (menu.buttons[menu.active ?? 0]?.label ?? null) : null,
      };
    });
    out.push({ ...s, colouredPixels: await colouredPixels(plot, join(ARTIFACTS, `${name}-${i}.png`)) });
  }
  return out;
}

/** Screenshot of `el` (saved to `path`) and the number of its pixels with a saturated colour. */
export async function colouredPixels(el: Locator, path: string): Promise<number> {
  mkdirSync(dirname(path), { recursive: true });
  const png = await el.screenshot({ path });
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let p = 0; p < info.width * info.height * 3; p += 3) {
    const r = data[p]!,
      g = data[p + 1]!,
      b = data[p + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 80) n++;
  }
  return n;
}

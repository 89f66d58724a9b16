import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface PageCheck {
  charts: number; // elements with class .chart that plotly drew an SVG into
  chartDivs: number;
  consoleErrors: string[];
  title: string;
}

/** Opens a local HTML file in headless Debian Chromium (no network), waits for plotly, takes a screenshot. */
export async function openInChromium(htmlPath: string, screenshotPath: string): Promise<PageCheck> {
  const browser = await chromium.launch({
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
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    await page
      .waitForFunction(
        () => {
          const divs = [...document.querySelectorAll('.chart')];
          return divs.every((d) => d.querySelector('svg.main-svg'));
        },
        undefined,
        { timeout: 60_000 },
      )
      .catch(() => undefined);
    const counts = await page.evaluate(() => {
      const divs = [...document.querySelectorAll('.chart')];
      return { chartDivs: divs.length, charts: divs.filter((d) => d.querySelector('svg.main-svg')).length };
    });
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    return { ...counts, consoleErrors, title: await page.title() };
  } finally {
    await browser.close();
  }
}

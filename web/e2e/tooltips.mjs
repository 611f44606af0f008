#!/usr/bin/env node
// Chart tooltips insert labels as text, never as HTML: the mock API (web/mock/server.mjs
// --hostile-labels) serves category labels carrying `<img src=x onerror=...>`; in a headless
// Chromium the Exploitation page's tooltips must show them escaped, create no such image and run
// no handler.
//
//   node web/e2e/tooltips.mjs --dist WEB_DIST --shots DIR [--chromium /usr/bin/chromium]
//
// Prints a JSON summary and exits 0 when the checks pass; "E2E FAILED: <reason>" and exit 1
// otherwise.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['dist', 'shots']) if (!args[k]) throw new Error(`missing --${k}`);
const CHROMIUM = args.chromium ?? '/usr/bin/chromium';
const TIMEOUT = 20000;

function startMock() {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(here, '..', 'mock', 'server.mjs'), '--port', '0', '--dist', args.dist, '--hostile-labels'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the mock server did not start: ${out}`)), TIMEOUT);
    p.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^ ]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc: p, base: m[1] });
      }
    });
    p.on('exit', (code) => reject(new Error(`the mock server exited (${code}): ${out}`)));
  });
}

async function main() {
  const mock = await startMock();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${mock.base}/#/exploitation`, { waitUntil: 'domcontentloaded' });
    const card = page.locator('[data-testid="chart-exploitation_type"]');
    await card.locator('canvas').first().waitFor({ timeout: TIMEOUT });
    // the data table shows the label as text: the hostile label is really served
    await page.waitForFunction(() => document.body.textContent.includes('<img src=x'), null, { timeout: TIMEOUT });
    const box = await card.locator('canvas').first().boundingBox();
    if (!box) throw new Error('the chart has no box');
    // hover down the bars until a tooltip with a count shows
    let tooltip = null;
    for (let f = 0.1; f < 0.95 && !tooltip; f += 0.08) {
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * f);
      await page.waitForTimeout(250);
      tooltip = await card.evaluate((el) => {
        const t = [...el.querySelectorAll('div')].find((d) => /count \d/.test(d.textContent ?? '') && d.childElementCount < 20 && getComputedStyle(d).display !== 'none' && d.offsetParent !== null);
        return t ? { text: t.textContent, html: t.innerHTML, images: t.querySelectorAll('img').length } : null;
      });
    }
    await page.screenshot({ path: path.join(args.shots, 'tooltip-escaped.png') });
    if (!tooltip) throw new Error('no tooltip appeared over the chart');
    if (tooltip.images > 0) throw new Error(`the tooltip holds an <img> from a label: ${tooltip.html}`);
    if (!tooltip.text.includes('<img src=x')) throw new Error(`the tooltip does not show the label as text: ${tooltip.text}`);
    if (!tooltip.html.includes('&lt;img')) throw new Error(`the tooltip's HTML is not escaped: ${tooltip.html}`);
    const xss = await page.evaluate(() => window.__xss ?? 0);
    const injected = await page.evaluate(() => document.querySelectorAll('img[src="x"]').length);
    if (xss !== 0 || injected !== 0) throw new Error(`a label ran as HTML: handler ran ${xss} time(s), ${injected} image(s)`);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    console.log(JSON.stringify({ ok: true, tooltip: tooltip.text }));
  } finally {
    await browser.close();
    mock.proc.kill();
  }
}

main().catch((e) => {
  console.error(`E2E FAILED: ${e.message}`);
  process.exit(1);
});
